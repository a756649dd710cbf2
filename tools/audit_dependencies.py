"""Audit the locked dependencies for known vulnerabilities with pip-audit, and say plainly what was checked.

pip-audit asks PyPI (or OSV) about each pinned version of the lock file. A finding fails the run. A version the
service could not be asked about (no network, a mirror without PyPI's per-release JSON) is listed and counted, not
failed: `make lint` must stay usable offline. The counts say how much the run was worth; an audit that could ask
nothing says so on its last line.

    python tools/audit_dependencies.py requirements/production.lock [requirements/dev.lock ...]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path


def audit(lock: Path) -> tuple[int, list[str], list[str]]:
    """(audited, findings, unchecked) of one lock file."""
    with tempfile.TemporaryDirectory() as directory:
        report = Path(directory) / "audit.json"
        command = [sys.executable, "-m", "pip_audit", "--requirement", str(lock), "--require-hashes", "--no-deps"]
        command += ["--progress-spinner", "off", "--format", "json", "--output", str(report)]
        finished = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our command
        if not report.exists():
            raise SystemExit(f"pip-audit failed on {lock}:\n{finished.stderr}")
        dependencies = json.loads(report.read_text())["dependencies"]
    findings = [
        f"{item['name']} {item['version']}: {vuln['id']} (fixed in {', '.join(vuln['fix_versions']) or 'no release'})"
        for item in dependencies
        for vuln in item.get("vulns", [])
    ]
    unchecked = [item["name"] for item in dependencies if "skip_reason" in item]
    return len(dependencies) - len(unchecked), findings, unchecked


def main(locks: list[str]) -> int:
    found = False
    for name in locks:
        audited, findings, unchecked = audit(Path(name))
        for finding in findings:
            print(f"{name}: {finding}")
        found = found or bool(findings)
        line = f"{name}: {audited} pinned versions audited, {len(findings)} known vulnerabilities"
        if unchecked:
            line += f"; {len(unchecked)} could not be looked up (offline or no vulnerability data)"
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["requirements/production.lock"]))
