"""The lock files say what every install gets: they must agree with pyproject.toml and with each other."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^ ;\\]+)(?: ; (?P<marker>[^\\]+?))? *\\?$")


def pins(lock: str) -> dict[str, list[tuple[Version, str | None, int]]]:
    """Each locked package: its versions (a universal lock may pin one per platform), their markers, their hashes."""
    found: dict[str, list[tuple[Version, str | None, int]]] = {}
    lines = (ROOT / "requirements" / lock).read_text().splitlines()
    for index, line in enumerate(lines):
        match = PIN.match(line)
        if match:
            hashes = 0
            for following in lines[index + 1 :]:
                if not following.startswith("    --hash=sha256:"):
                    break
                hashes += 1
            name = canonicalize_name(match["name"])
            found.setdefault(name, []).append((Version(match["version"]), match["marker"], hashes))
    return found


def declared() -> tuple[list[Requirement], list[Requirement]]:
    """(runtime requirements, requirements of the extras) of pyproject.toml, the project's own extras left out."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = [Requirement(line) for line in project["dependencies"]]
    extras = [
        Requirement(line)
        for lines in project["optional-dependencies"].values()
        for line in lines
        if canonicalize_name(Requirement(line).name) != project["name"]
    ]
    return runtime, extras


def applies(requirement: Requirement) -> bool:
    return requirement.marker is None or requirement.marker.evaluate()  # this interpreter's


@pytest.mark.parametrize("lock", ["dev.lock", "production.lock"])
def test_every_locked_version_has_its_hashes(lock):
    locked = pins(lock)
    assert len(locked) > 20
    assert all(hashes > 0 for versions in locked.values() for _, _, hashes in versions)


def test_the_locks_pin_what_pyproject_allows():
    runtime, extras = declared()
    development, production = pins("dev.lock"), pins("production.lock")
    for lock, requirements in ((production, runtime), (development, runtime + extras)):
        for requirement in filter(applies, requirements):
            versions = lock.get(canonicalize_name(requirement.name))
            assert versions, f"{requirement.name} is in pyproject.toml, not in the lock: run `make lock`"
            for version, _marker, _hashes in versions:
                assert version in requirement.specifier, f"{requirement.name} {version} is outside {requirement}"


def test_production_and_development_pin_the_same_versions():
    development, production = pins("dev.lock"), pins("production.lock")
    assert set(production) <= set(development)
    for name, versions in production.items():
        assert {version for version, _, _ in versions} == {version for version, _, _ in development[name]}, name
    assert "pytest" not in production
    assert "pytest" in development
