"""`manage.py bench_pages` (`make bench`): how many public pages per second the real web process serves, compared
with a minimal view behind the same middleware, and how many queries each page makes.

Starts gunicorn as production runs it (production settings, DEBUG off, two sync workers, static files collected
and served by whitenoise) on 127.0.0.1 and a free port, with `BENCH_MINIMAL_VIEW` on: that adds one URL answering a
tiny response through the whole middleware, the ceiling any page could reach on this machine. Then, for the
minimal view and every page of `content.PUBLIC_PAGES`, `wrk` loads it over loopback as a browser would, anonymously
(no cookie, `Accept-Encoding: gzip`), with a few connections and one thread per core, in one-second runs each between
two of the minimal view's. A page's **ratio** is the median over its runs of its requests per second divided by the
mean of the minimal view's just before and after (whatever else the machine runs weighs on both alike, a burst of it
moves one run, a slow drift cancels out): the goal is 0.5 or more with 100 times the demo's data
(`generate_bench_data --times 100`). Beside it, the **CPU ratio** divides the CPU time a minimal view's request costs
(gunicorn's workers, wrk and Redis) by a page's: what the ratio would be on cores given to the bench alone, a figure
that other work on the machine hardly moves. After a page's runs, a few requests of its own read the
`X-Cache` header: the share of hits is shown. The query count of each page is measured in this process with Django's
test client, after warm-up requests, twice: with the public page cache off (what rendering the page costs, the figure
with a budget) and on (what the middleware leaves once the page is cached).

Figures go to the bench report (`--report`, or $BENCH_REPORT) under the section `pages (<data>)`; the command exits
non-zero when a page misses its query budget, or its ratio when `--data` says the data is 100 times the demo's.
"""

import http.client
import os
import re
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from datacity.demo import benchreport, content
from datacity.demo.management.commands.bench_dataset_upload import free_port, stop_process_group

BUDGET_QUERIES = 10
TARGET_RATIO = 0.5
MINIMAL_PATH = "/bench/minimal/"
TMPFS = "/dev/shm"  # noqa: S108 - gunicorn's worker heartbeat directory, not a file we create

# Only done(), which costs nothing per request: with a response() callback wrk would hand every response's headers and
# body to Lua, load-generator CPU growing with the page's size and taken from gunicorn on the same cores.
WRK_SCRIPT = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d bad=%d p95_us=%d\\n", summary.requests, summary.duration,
    e.status + e.connect + e.read + e.write + e.timeout, latency:percentile(95)))
end
"""
# What a browser sends: anonymous pages are answered gzipped (AnonymousGZipMiddleware, or gzipped once when stored).
ACCEPT_ENCODING = "gzip, deflate, br"
HIT_SAMPLES = 5  # requests reading X-Cache after a page's runs


@dataclass
class Load:
    requests: int
    seconds: float
    bad: int  # answers of status 400 or more, and socket errors
    p95_ms: float
    cpu_seconds: float = 0.0  # spent by gunicorn's workers, wrk and Redis (CpuClock)

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_request(self) -> float:
        return self.cpu_seconds / self.requests if self.requests else 0.0

    @classmethod
    def total(cls, runs: list["Load"]) -> "Load":
        """The runs as one: their requests over their time, the worst p95."""
        return cls(
            sum(run.requests for run in runs),
            sum(run.seconds for run in runs),
            sum(run.bad for run in runs),
            max(run.p95_ms for run in runs),
            sum(run.cpu_seconds for run in runs),
        )


def paired_ratio(minimal: list[Load], page: list[Load]) -> float:
    """The median of each page run's rate over the mean rate of the minimal view's runs just before and after it."""
    return statistics.median(
        run.requests_per_second / max(1e-9, (before.requests_per_second + after.requests_per_second) / 2)
        for before, run, after in zip(minimal, page, minimal[1:], strict=False)
    )


class CpuClock:
    """CPU seconds spent so far serving the bench: gunicorn's workers (/proc), wrk (this process's children once
    waited for) and the Redis server (INFO cpu; other users of the same server add a little)."""

    def __init__(self, master_pid: int) -> None:
        self.master_pid = master_pid
        self.redis = redis.Redis.from_url(settings.REDIS_URL)
        self.tick = os.sysconf("SC_CLK_TCK")

    def __call__(self) -> float:
        ticks = 0
        workers = Path(f"/proc/{self.master_pid}/task/{self.master_pid}/children").read_text().split()
        for pid in workers:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # a worker gone since the list was read (recycled): that run counts less CPU
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15 in proc(5)
        waited = resource.getrusage(resource.RUSAGE_CHILDREN)
        server = self.redis.info("cpu")
        return (
            ticks / self.tick
            + waited.ru_utime
            + waited.ru_stime
            + float(server["used_cpu_user"])
            + float(server["used_cpu_sys"])
        )


def production_environment(port: int) -> dict[str, str]:
    """Production settings, for plain HTTP on loopback: throwaway secret, no TLS redirect nor HSTS."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "datacity.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "DEBUG": "false",
        "BENCH_MINIMAL_VIEW": "true",
    }


def serve(directory: Path, workers: int) -> "WebProcess":
    """Collect the static files into `directory`, then start gunicorn on a free port with production settings.

    The static files go to a folder of this run: other processes may be collecting into the project's
    STATIC_ROOT meanwhile, and whitenoise indexes the folder when a worker starts.
    """
    port = free_port()
    environment = {**production_environment(port), "STATIC_ROOT": str(directory / "static")}
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if collect.returncode != 0:
        raise CommandError(f"collectstatic failed: {collect.stderr}")
    return WebProcess(port, workers, directory / "gunicorn.log", environment)


class WebProcess:
    """gunicorn serving datacity.wsgi on 127.0.0.1:`port` with production settings, in its own process group."""

    def __init__(self, port: int, workers: int, log: Path, environment: dict[str, str]) -> None:
        self.port = port
        self.log = log
        self.env = environment
        binaries = str(Path(sys.executable).parent)
        gunicorn = shutil.which("gunicorn", path=binaries) or "gunicorn"
        command = [
            gunicorn,
            "datacity.wsgi:application",
            *("--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync"),
            "--timeout",
            "60",
        ]
        if Path(TMPFS).is_dir():  # gunicorn's heartbeat files on tmpfs, as deployed (README, "gunicorn")
            command += ["--worker-tmp-dir", TMPFS]
        with log.open("w") as output:
            self.process = subprocess.Popen(  # noqa: S603 - our own command line
                command,
                env=self.env,
                cwd=settings.BASE_DIR,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CommandError(f"the web process stopped at start (see {self.log})")
            try:
                client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                client.request("GET", MINIMAL_PATH)
                status = client.getresponse().status
                client.close()
                if status == 200:
                    return
                raise CommandError(f"{MINIMAL_PATH} answered {status}: is BENCH_MINIMAL_VIEW read? (see {self.log})")
            except OSError:
                time.sleep(0.2)
        raise CommandError(f"the web process did not answer within {timeout} s (see {self.log})")

    def stop(self) -> None:
        stop_process_group(self.process)


def load(
    url: str, *, script: Path, seconds: int, connections: int, threads: int, clock: Callable[[], float] | None = None
) -> Load:
    """One wrk run against `url`, sending the headers of a browser without cookies; `clock` counts its CPU time."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise CommandError("wrk is missing: `make bench-packages` (Debian's package wrk)")
    command = [
        wrk,
        *("--threads", str(threads), "--connections", str(connections), "--duration", f"{seconds}s"),
        *("--timeout", "10s", "--header", f"Accept-Encoding: {ACCEPT_ENCODING}", "--script", str(script), url),
    ]
    started = clock() if clock else 0.0
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)  # noqa: S603
    cpu = clock() - started if clock else 0.0
    totals = re.search(r"BENCH requests=(\d+) duration_us=(\d+) bad=(\d+) p95_us=(\d+)", result.stdout)
    if result.returncode != 0 or totals is None:
        raise CommandError(f"wrk failed on {url}: {result.stdout}{result.stderr}")
    requests, duration, bad, p95 = (int(value) for value in totals.groups())
    return Load(requests, duration / 1_000_000, bad, p95 / 1000, cpu)


def cache_hits(port: int, path: str) -> tuple[int, int]:
    """How many of a few requests for `path`, sent as wrk sends them, were answered from the page cache (X-Cache)."""
    hits = 0
    for _ in range(HIT_SAMPLES):
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        client.request("GET", path, headers={"Accept-Encoding": ACCEPT_ENCODING})
        response = client.getresponse()
        response.read()
        client.close()
        if response.status != 200:
            raise CommandError(f"{path} answered {response.status}")
        hits += (response.getheader("X-Cache") or "").lower() == "hit"
    return hits, HIT_SAMPLES


def query_counts(pages: list[str]) -> dict[str, int]:
    """Queries per page in this process (anonymous, after three warm-up requests)."""
    client = Client(HTTP_HOST="localhost")
    counts = {}
    for url in pages:
        for _ in range(3):
            response = client.get(url)
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}: is the demo loaded?")
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        counts[url] = len(queries)
    return counts


def uncached_query_counts(pages: list[str]) -> dict[str, int]:
    """The same, with the public page cache off (PAGE_CACHE_SECONDS = 0): what a page costs when it is rendered."""
    with override_settings(PAGE_CACHE_SECONDS=0):
        return query_counts(pages)


class Command(BaseCommand):
    help = "Requests per second of each public page on gunicorn, as a ratio of a minimal view's, and its queries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", default="demo data", help="what the database holds, for the report's section")
        parser.add_argument("--goal", action="store_true", help=f"fail when a ratio is under {TARGET_RATIO}")
        parser.add_argument(
            "--seconds", type=int, default=5, help="wrk's time per URL, in 1 s runs alternating with the minimal view's"
        )
        parser.add_argument("--page", action="append", dest="pages", help="only this page (repeat it for several)")
        parser.add_argument("--connections", type=int, default=8, help="wrk's open connections")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn's sync workers")
        parser.add_argument("--report", help="append the figures to this bench report (default: $BENCH_REPORT)")

    def handle(self, *args: Any, **options: Any) -> None:
        report = benchreport.report_path(options["report"])
        section = f"pages ({options['data']})"
        pages = options["pages"] or list(content.PUBLIC_PAGES)
        rendered = uncached_query_counts(pages)
        counts = query_counts(pages)

        directory = Path(tempfile.mkdtemp(prefix="bench-pages-"))
        web = serve(directory, options["workers"])
        port = web.port
        script = directory / "done.lua"
        script.write_text(WRK_SCRIPT)
        threads = max(1, min(os.cpu_count() or 1, options["connections"]))
        clock = CpuClock(web.process.pid)

        def measure(path: str) -> Load:
            return load(
                f"http://127.0.0.1:{port}{path}",
                script=script,
                seconds=1,
                connections=options["connections"],
                threads=threads,
                clock=clock,
            )

        results: dict[str, tuple[list[Load], list[Load]]] = {}
        hits: dict[str, tuple[int, int]] = {}
        try:
            web.wait_ready()
            # The first requests load code and fill caches: one short warm-up of every URL.
            for path in [MINIMAL_PATH, *pages]:
                load(f"http://127.0.0.1:{port}{path}", script=script, seconds=1, connections=2, threads=1)
            for url in pages:
                minimal_runs, page_runs = [measure(MINIMAL_PATH)], []
                for _ in range(max(1, options["seconds"])):
                    page_runs.append(measure(url))
                    minimal_runs.append(measure(MINIMAL_PATH))
                results[url] = (minimal_runs, page_runs)
                hits[url] = cache_hits(port, url)
        finally:
            web.stop()

        ceilings = sorted(Load.total(minimal).requests_per_second for minimal, _page in results.values())
        self.stdout.write(
            f"{section}: gunicorn {options['workers']} sync workers, wrk {threads} threads, "
            f"{options['connections']} connections, {options['seconds']:.0f} s per URL; minimal view {MINIMAL_PATH} "
            f"{ceilings[0]:.0f} to {ceilings[-1]:.0f} req/s (interleaved with each page)"
        )
        self.stdout.write(
            f"{'page':<46} {'req/s':>7} {'minimal':>7} {'ratio':>6} {'cpu':>5} {'p95 ms':>7} {'queries':>7}  "
            "X-Cache hits (ratio: of requests/s, of CPU time; queries: rendered/cached)"
        )
        benchreport.write_row(
            report,
            f"minimal view {MINIMAL_PATH} (median of its runs)",
            ceilings[len(ceilings) // 2],
            "req/s",
            section=section,
        )
        failures = []
        for url in pages:
            minimal_runs, page_runs = results[url]
            minimal, result = Load.total(minimal_runs), Load.total(page_runs)
            cache = "X-Cache hits {}/{}".format(*hits[url])
            ratio = paired_ratio(minimal_runs, page_runs)
            cpu_ratio = minimal.cpu_per_request / result.cpu_per_request if result.cpu_per_request else 0.0
            meets = ratio >= TARGET_RATIO and result.bad == 0
            self.stdout.write(
                f"{url:<46} {result.requests_per_second:>7.0f} {minimal.requests_per_second:>7.0f} "
                f"{ratio:>6.2f} {cpu_ratio:>5.2f} {result.p95_ms:>7.1f} "
                f"{rendered[url]:>4}/{counts[url]:<2}  {cache}"
                f"{'' if result.bad == 0 else f', {result.bad} errors'}  "
                + ("meets the goal" if meets else "under the goal")
            )
            benchreport.write_row(
                report,
                f"{url} ({result.requests_per_second:.0f}/{minimal.requests_per_second:.0f} req/s, "
                f"CPU ratio {cpu_ratio:.2f}, {cache})",
                round(ratio, 2),
                "x minimal",
                f">= {TARGET_RATIO}" + ("" if options["goal"] else " (goal at 100x)"),
                meets if options["goal"] else None,
                section=section,
            )
            benchreport.write_row(
                report,
                f"{url} queries rendered ({counts[url]} when cached)",
                rendered[url],
                "queries",
                f"<= {BUDGET_QUERIES}",
                rendered[url] <= BUDGET_QUERIES,
                section=section,
            )
            if rendered[url] > BUDGET_QUERIES or (options["goal"] and not meets):
                failures.append(url)
        shutil.rmtree(directory, ignore_errors=True)
        if failures:
            raise CommandError(
                f"{len(failures)} page(s) missed a target (<= {BUDGET_QUERIES} queries"
                + (f", ratio >= {TARGET_RATIO}" if options["goal"] else "")
                + f"): {', '.join(failures)}"
            )
        self.stdout.write(self.style.SUCCESS(f"{section}: all pages within their targets"))
