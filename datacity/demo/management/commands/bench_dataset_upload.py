"""`manage.py bench_dataset_upload` (`make bench`): the web process's memory while a partner member uploads a 1 GiB
dataset file.

Starts the real web process (gunicorn, one sync worker, as the Dockerfile runs it, on 127.0.0.1 with this command's
settings and DEBUG off), logs a throwaway partner member in, opens the upload form (which loads the code the upload
needs), then measures the worker's idle RSS and sends a generated 1 GiB CSV through the form, streamed from a
generator (never built in memory). The worker's RSS is polled during the upload (/proc/<pid>/status, VmRSS, and
VmHWM after it): its peak above idle must stay under 100 MiB, or the command exits non-zero. The web process, the
partner, its dataset, the stored file and the member are removed afterwards, whatever happened.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import Client
from django.urls import reverse

from datacity.demo import benchreport
from datasets.models import AccessLevel, Dataset, Distribution
from partners.models import Partner, PartnerMembership

MIB = 1024 * 1024
TARGET_PEAK_ABOVE_IDLE = 100 * MIB
LINE_BYTES = 64  # every generated row, header included, is this long: 16,384 rows a MiB


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status_bytes(pid: int, field: str) -> int:
    """A /proc/<pid>/status memory field (VmRSS, VmHWM) in bytes; 0 once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) * 1024 if found else 0


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def csv_block() -> bytes:
    """One MiB of rows of invented sensor readings, each LINE_BYTES long."""
    rows = []
    for n in range(MIB // LINE_BYTES):
        row = f"{n:08d};2026-03-{1 + n % 28:02d};capteur-{n % 97:03d};{(n * 37) % 10_000:05d};"
        rows.append(row.ljust(LINE_BYTES - 1, "x") + "\n")
    return "".join(rows).encode()


def file_chunks(size: int) -> Iterator[bytes]:
    block = csv_block()
    header = "n;date;capteur;valeur;remplissage".ljust(LINE_BYTES - 1) + "\n"
    yield header.encode() + block[LINE_BYTES:]
    for _index in range(size // MIB - 1):
        yield block


class Peak(threading.Thread):
    """Polls a process's RSS every 20 ms until stopped; `peak` is the highest value seen."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, status_bytes(self.pid, "VmRSS"))
            time.sleep(0.02)


def settle_memory(pid: int, *, timeout: float = 10) -> None:
    """Wait until the worker's resident memory stops moving (the form's page served, nothing pending), so that
    "idle" is measured at rest rather than after a guessed delay."""
    deadline = time.monotonic() + timeout
    previous = status_bytes(pid, "VmRSS")
    while time.monotonic() < deadline:
        time.sleep(0.2)
        current = status_bytes(pid, "VmRSS")
        if current == previous:
            return
        previous = current


def stop_process_group(process: subprocess.Popen) -> None:
    """SIGTERM to a server started with start_new_session, then SIGKILL to its whole group after 30 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own process group (start_new_session)
            process.wait()


class WebProcess:
    """gunicorn serving datacity.wsgi on 127.0.0.1:`port`, one sync worker, in its own process group."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE, "DEBUG": "false"}
        command = [
            gunicorn,
            "datacity.wsgi:application",
            *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "sync", "--timeout", "600"),
        ]
        self.log = log
        with log.open("w") as output:
            self.process = subprocess.Popen(  # noqa: S603 - our own command line
                command, env=env, cwd=settings.BASE_DIR, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, timeout: float = 60) -> int:
        """The worker's pid, once /health/ answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CommandError(f"the web process stopped at start (see {self.log})")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/health/")
                connection.getresponse().read()
                connection.close()
                workers = children_of(self.process.pid)
                if len(workers) == 1:
                    return workers[0]
            except OSError:
                pass
            time.sleep(0.2)
        raise CommandError(f"the web process did not answer within {timeout} s (see {self.log})")

    def stop(self) -> None:
        stop_process_group(self.process)


class Command(BaseCommand):
    help = "Upload a 1 GiB dataset file to the real web process; its peak memory must stay under 100 MiB above idle."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size-mib", type=int, default=1024, help="size of the uploaded file (MiB)")
        parser.add_argument("--report", help="append the figures to this bench report (default: $BENCH_REPORT)")

    def handle(self, *args, **options) -> None:
        size = options["size_mib"] * MIB
        run = uuid.uuid4().hex[:8]
        partner = Partner.objects.create(name=f"Bench upload {run}", slug=f"bench-upload-{run}", is_public=False)
        dataset = Dataset.objects.create(
            title=f"Bench upload {run}", slug=f"bench-upload-{run}", owner=partner, access_level=AccessLevel.RESTRICTED
        )
        user = get_user_model().objects.create_user(email=f"bench-upload-{run}@datacity.invalid", password=None)
        PartnerMembership.objects.create(partner=partner, user=user)
        log = Path(settings.BASE_DIR) / ".data" / f"bench-dataset-upload-{run}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        web = WebProcess(free_port(), log)
        try:
            worker = web.wait_ready()
            result = self.upload(web.port, worker, user, dataset, size)
        finally:
            web.stop()
            for distribution in Distribution.objects.filter(dataset=dataset):
                distribution.file.delete(save=False)
            folder = Path(settings.MEDIA_ROOT) / "datasets" / str(dataset.pk)
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()  # the dataset's folder on local disk, now empty
            dataset.delete()
            partner.delete()
            user.delete()
        idle, peak, seconds, status = result
        above = peak - idle
        self.stdout.write(
            f"dataset upload: {size / MIB:.0f} MiB in {seconds:.1f} s ({size / MIB / seconds:.0f} MiB/s), "
            f"HTTP {status}; web worker idle RSS {idle / MIB:.1f} MiB, peak {peak / MIB:.1f} MiB, "
            f"{above / MIB:.1f} MiB above idle (budget {TARGET_PEAK_ABOVE_IDLE / MIB:.0f} MiB)"
        )
        benchreport.write_row(
            benchreport.report_path(options.get("report")),
            f"dataset upload of {size / MIB:,.0f} MiB: web worker peak above idle (HTTP {status})",
            round(above / MIB, 1),
            "MiB",
            f"< {TARGET_PEAK_ABOVE_IDLE / MIB:.0f}, HTTP 302",
            status == 302 and above < TARGET_PEAK_ABOVE_IDLE,
            section="upload",
        )
        if status != 302:
            raise CommandError(f"the upload was not accepted (HTTP {status}, see {log})")
        if above >= TARGET_PEAK_ABOVE_IDLE:
            raise CommandError("the web process's memory grew past the budget while receiving the file")
        log.unlink(missing_ok=True)

    def upload(self, port: int, worker: int, user, dataset: Dataset, size: int) -> tuple[int, int, float, int]:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        path = reverse("datasets:upload", kwargs={"slug": dataset.slug})
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        connection.request("GET", path, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"})
        form = connection.getresponse()
        html = form.read().decode()
        if form.status != 200:
            raise CommandError(f"the upload form answered {form.status}")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        cookie = re.search(rf"{settings.CSRF_COOKIE_NAME}=([^;]+)", form.getheader("Set-Cookie") or "")
        if token is None or cookie is None:
            raise CommandError("the upload form gave no CSRF token")
        settle_memory(worker)
        idle = status_bytes(worker, "VmRSS")
        idle_high_water = status_bytes(worker, "VmHWM")

        boundary = f"bench-{uuid.uuid4().hex}"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token.group(1)}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="change_note"\r\n\r\nBench (invented figures)\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()

        def body() -> Iterator[bytes]:
            yield head
            yield from file_chunks(size)
            yield tail

        peak = Peak(worker)
        peak.start()
        started = time.perf_counter()
        connection.putrequest("POST", path)
        for name, value in (
            ("Cookie", f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={cookie.group(1)}"),
            ("Content-Type", f"multipart/form-data; boundary={boundary}"),
            ("Content-Length", str(len(head) + size + len(tail))),
        ):
            connection.putheader(name, value)
        connection.endheaders()
        for chunk in body():
            connection.send(chunk)
        response = connection.getresponse()
        response.read()
        seconds = time.perf_counter() - started
        peak.done.set()
        peak.join()
        connection.close()
        high_water = status_bytes(worker, "VmHWM")
        # VmHWM counts since the worker started: it tells a peak only if it rose during the upload.
        highest = max(peak.peak, high_water if high_water > idle_high_water else 0)
        return idle, highest, seconds, response.status
