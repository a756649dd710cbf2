"""The deployment files (Dockerfile, docker-compose.yml) agree with the code they deploy.

No Docker engine here: the files are read, compose's variable interpolation is reproduced, and what can run without
Docker (the settings, `check --deploy`, the build-time `collectstatic`) is run in a subprocess with the environment
the containers would get.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import importlib.util
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ
import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
DOCKERFILE = BASE_DIR / "Dockerfile"
DOCKERIGNORE = BASE_DIR / ".dockerignore"
PRODUCTION_SETTINGS = BASE_DIR / "datacity" / "settings" / "production.py"

EXPECTED_SERVICES = ("db", "redis", "objectstore", "mail", "migrate", "web", "worker", "beat")
APP_SERVICES = ("migrate", "web", "worker", "beat")
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
    assert len({json.dumps(raw_environment(name), sort_keys=True) for name in APP_SERVICES}) == 1


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
    assert re.search(r"\$\{POSTGRES_PASSWORD:\?[^}]*\}", raw["DATABASE_URL"] or "")


def test_urls_point_at_the_compose_services():
    env = environment("web")
    database = urlsplit(env["DATABASE_URL"])
    postgres = environment("db")
    assert (database.scheme, database.hostname, database.port) == ("postgres", "db", 5432)
    assert database.username == postgres["POSTGRES_USER"]
    assert database.password == postgres["POSTGRES_PASSWORD"]
    assert database.path.lstrip("/") == postgres["POSTGRES_DB"]

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
    assert all(base == "python:3.11-slim" for base in bases), bases
    users = [value for keyword, value in final_stage() if keyword == "USER"]
    assert users, "the image must run as a non-root user"
    assert users[-1].split(":")[0] not in ("root", "0"), "the image must run as a non-root user"
    installs = [value for keyword, value in instructions if keyword == "RUN" and "pip install" in value]
    assert any(re.search(r"pip install \.(\s|$)", value) for value in installs), installs
    assert not any("[dev" in value or "[local" in value for value in installs), "dev/local extras in the image"
    cmd = next(value for keyword, value in reversed(final_stage()) if keyword == "CMD")
    assert json.loads(cmd)[:2] == ["gunicorn", "datacity.wsgi:application"]


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
