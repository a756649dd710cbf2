"""`make run`'s launcher on a fresh data folder: embedded PostgreSQL and Redis, web + worker + beat, and Ctrl-C
stopping every process it started."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

from datacity.local import _free_port

ROOT = Path(__file__).resolve().parent.parent


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status
    except OSError:
        return None


def test_run_starts_everything_on_embedded_services_and_ctrl_c_stops_it_all(tmp_path):
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {"DATACITY_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = (tmp_path / "run.log").open("w")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "datacity.local", "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, as a terminal would give `make run`
    )
    try:
        wait_for(lambda: http_status(f"http://127.0.0.1:{port}/") == 200, 240, "the home page")
        output = (tmp_path / "run.log").read_text()
        assert "embedded PostgreSQL ready" in output
        assert "embedded Redis ready" in output
        assert "staff@demo.example.org" in output
        assert http_status(f"http://127.0.0.1:{port}/programs/datacity-casablanca-2017/") == 200

        tree = psutil.Process(launcher.pid).children(recursive=True)
        commands = [" ".join(process.cmdline()) for process in tree]
        assert any("runserver" in command for command in commands)
        assert any("worker" in command for command in commands)
        assert any("beat" in command for command in commands)
        servers = [
            process
            for process in psutil.process_iter(["cmdline"])
            if str(tmp_path) in " ".join(process.info["cmdline"] or [])
        ]
        assert any("postgres" in " ".join(process.cmdline()) for process in servers)
        redis = psutil.Process(int((tmp_path / "data" / "redis" / "redis.pid").read_text()))
        assert "redis-server" in redis.cmdline()[0]
        started = {process.pid for process in [*tree, *servers, redis]}
    finally:
        os.killpg(launcher.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground process group
        launcher.wait(timeout=60)
        log.close()

    def all_gone():
        return not [pid for pid in started if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]

    wait_for(all_gone, 30, "every started process to exit")
    assert launcher.returncode == 0
    assert "embedded PostgreSQL stopped" in (tmp_path / "run.log").read_text()
