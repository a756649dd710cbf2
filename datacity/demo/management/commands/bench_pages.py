"""`manage.py bench_pages` (`make bench`): how many public pages per second the real web process serves, compared
with a minimal view behind the same middleware, and how many queries each page makes.

Starts gunicorn as production runs it (production settings, DEBUG off, two sync workers, static files collected
and served by whitenoise) on 127.0.0.1 and a free port, with `BENCH_MINIMAL_VIEW` on: that adds one URL answering a
tiny response through the whole middleware, the ceiling any page could reach on this machine. Then, for the
minimal view and every page of `content.PUBLIC_PAGES`, `wrk` loads it over loopback, anonymously (no cookie), with
a few connections, for a few seconds and at most a given number of requests, one thread per core. A page's
**ratio** is its requests per second divided by the minimal view's, measured just before it (so that whatever else
the machine runs weighs on both alike): the goal is 0.5 or more with 100 times the
demo's data (`generate_bench_data --times 100`). The query count of each page is measured in this process with
Django's test client, after warm-up requests, twice: with the public page cache off (what rendering the page costs,
the figure with a budget) and on (what the middleware leaves once the page is cached).
When responses carry an `X-Cache` header, the share of hits is shown.

Figures go to the bench report (`--report`, or $BENCH_REPORT) under the section `pages (<data>)`; the command exits
non-zero when a page misses its query budget, or its ratio when `--data` says the data is 100 times the demo's.
"""

import http.client
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from datacity.demo import benchreport, content
from datacity.demo.management.commands.bench_dataset_upload import free_port

BUDGET_QUERIES = 10
TARGET_RATIO = 0.5
MINIMAL_PATH = "/bench/minimal/"
TMPFS = "/dev/shm"  # noqa: S108 - gunicorn's worker heartbeat directory, not a file we create

# Counts the responses, the non-200 ones and the X-Cache hits and misses in each wrk thread, stops a thread after
# its share of the request limit, and prints the totals on one line the command parses.
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  limit = tonumber(args[1]) or 0
  responses = 0; bad = 0; hits = 0; misses = 0
end
function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 then bad = bad + 1 end
  local cache = headers["X-Cache"] or headers["x-cache"]
  if cache then
    if string.find(string.upper(cache), "HIT") then hits = hits + 1 else misses = misses + 1 end
  end
  if limit > 0 and responses >= limit then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local r, b, h, m = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    r = r + t:get("responses"); b = b + t:get("bad"); h = h + t:get("hits"); m = m + t:get("misses")
  end
  io.write(string.format("BENCH responses=%d bad=%d hits=%d misses=%d p95_us=%d\\n",
    r, b, h, m, latency:percentile(95)))
end
"""


@dataclass
class Load:
    requests_per_second: float
    responses: int
    bad: int
    hits: int
    misses: int
    p95_ms: float

    @property
    def cache(self) -> str:
        seen = self.hits + self.misses
        return f"X-Cache hits {100 * self.hits / seen:.0f}%" if seen else "no X-Cache"


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
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own process group (start_new_session)
                self.process.wait()


def load(url: str, *, script: Path, seconds: int, connections: int, threads: int, limit: int) -> Load:
    """One wrk run against `url`; `limit` bounds the requests (shared out between the threads)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise CommandError("wrk is missing: `make bench-packages` (Debian's package wrk)")
    command = [
        wrk,
        *("--threads", str(threads), "--connections", str(connections), "--duration", f"{seconds}s"),
        *("--timeout", "10s", "--script", str(script), url, "--", str(max(1, limit // threads))),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)  # noqa: S603
    rate = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    totals = re.search(r"BENCH responses=(\d+) bad=(\d+) hits=(\d+) misses=(\d+) p95_us=(\d+)", result.stdout)
    if result.returncode != 0 or rate is None or totals is None:
        raise CommandError(f"wrk failed on {url}: {result.stdout}{result.stderr}")
    responses, bad, hits, misses, p95 = (int(value) for value in totals.groups())
    return Load(float(rate.group(1)), responses, bad, hits, misses, p95 / 1000)


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
        parser.add_argument("--seconds", type=int, default=5, help="wrk's duration per URL")
        parser.add_argument("--max-requests", type=int, default=50_000, help="at most this many requests per URL")
        parser.add_argument("--connections", type=int, default=8, help="wrk's open connections")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn's sync workers")
        parser.add_argument("--report", help="append the figures to this bench report (default: $BENCH_REPORT)")

    def handle(self, *args: Any, **options: Any) -> None:
        report = benchreport.report_path(options["report"])
        section = f"pages ({options['data']})"
        pages = list(content.PUBLIC_PAGES)
        rendered = uncached_query_counts(pages)
        counts = query_counts(pages)

        directory = Path(tempfile.mkdtemp(prefix="bench-pages-"))
        web = serve(directory, options["workers"])
        port = web.port
        script = directory / "count.lua"
        script.write_text(WRK_SCRIPT)
        threads = max(1, min(os.cpu_count() or 1, options["connections"]))

        def measure(path: str) -> Load:
            return load(
                f"http://127.0.0.1:{port}{path}",
                script=script,
                seconds=options["seconds"],
                connections=options["connections"],
                threads=threads,
                limit=options["max_requests"],
            )

        results: dict[str, tuple[Load, Load]] = {}
        try:
            web.wait_ready()
            # The first requests load code and fill caches: one short warm-up of every URL.
            for path in [MINIMAL_PATH, *pages]:
                load(f"http://127.0.0.1:{port}{path}", script=script, seconds=1, connections=2, threads=1, limit=50)
            for url in pages:
                results[url] = (measure(MINIMAL_PATH), measure(url))
        finally:
            web.stop()

        ceilings = sorted(minimal.requests_per_second for minimal, _page in results.values())
        self.stdout.write(
            f"{section}: gunicorn {options['workers']} sync workers, wrk {threads} threads, "
            f"{options['connections']} connections, {options['seconds']:.0f} s per URL; minimal view {MINIMAL_PATH} "
            f"{ceilings[0]:.0f} to {ceilings[-1]:.0f} req/s (measured before each page)"
        )
        self.stdout.write(
            f"{'page':<46} {'req/s':>7} {'minimal':>7} {'ratio':>6} {'p95 ms':>7} {'queries':>7}  "
            "cache (queries: rendered/cached)"
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
            minimal, result = results[url]
            ratio = result.requests_per_second / minimal.requests_per_second
            meets = ratio >= TARGET_RATIO and result.bad == 0
            self.stdout.write(
                f"{url:<46} {result.requests_per_second:>7.0f} {minimal.requests_per_second:>7.0f} "
                f"{ratio:>6.2f} {result.p95_ms:>7.1f} "
                f"{rendered[url]:>4}/{counts[url]:<2}  {result.cache}"
                f"{'' if result.bad == 0 else f', {result.bad} not 200'}  "
                + ("meets the goal" if meets else "under the goal")
            )
            benchreport.write_row(
                report,
                f"{url} ({result.requests_per_second:.0f}/{minimal.requests_per_second:.0f} req/s, {result.cache})",
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
