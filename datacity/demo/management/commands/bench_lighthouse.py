"""`manage.py bench_lighthouse` (`make bench`): Lighthouse's scores of every public page, as a phone loads it.

Starts gunicorn as production runs it (`bench_pages.serve`: production settings, DEBUG off, static files collected
and served by whitenoise) on 127.0.0.1, then runs Lighthouse (the npm package pinned in tools/lighthouse, installed
by `npm ci --prefix tools/lighthouse`) with Debian's Chromium on each public page, one page at a time, with its
mobile emulation (a mid-range phone on a slow 4G link, simulated). Every page of `content.PUBLIC_PAGES` is measured
in French, Arabic and English (`--languages`; `--page PATH` for a few only). Each page is requested once beforehand,
as a visitor after the first one gets it. A page that misses a target in its first run is run twice more (`--runs`)
and each score is the median of the three: a shared machine's load moves the performance score by several points
from one run to the next (Lighthouse's own advice is to judge a median of several runs).

Targets: performance >= 95, accessibility 100, best practices 100, and no request to a host other than the server's
(the network-requests audit): the site loads nothing from elsewhere. One row per page goes to the bench report
(`--report`, or $BENCH_REPORT) under the section `lighthouse`; the command exits non-zero when a page misses one.
"""

import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from datacity.demo import benchreport, content
from datacity.demo.management.commands.bench_pages import serve

SECTION = "lighthouse"
HOST = "127.0.0.1"
# Lighthouse's categories measured, with the lowest score (0 to 100) each page must reach.
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100}
LIGHTHOUSE = Path("tools/lighthouse/node_modules/lighthouse/cli/index.js")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking"
RUN_TIMEOUT = 180  # seconds for one Lighthouse run, Chromium's start included


@dataclass
class Result:
    """What one Lighthouse report says of a page: a score out of 100 per category, the requests made to another
    host than the server's, and the audits that cost points in a category short of its target."""

    url: str
    scores: dict[str, int]
    foreign_requests: list[str] = field(default_factory=list)
    failing_audits: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def missed(self) -> list[str]:
        missed = [category for category, target in TARGETS.items() if self.scores.get(category, 0) < target]
        if self.foreign_requests:
            missed.append("requests to other hosts")
        if self.error:
            missed.append(self.error)
        return missed


def parse(report: dict[str, Any]) -> Result:
    """Read the scores, the foreign requests and the failing audits from a Lighthouse JSON report."""
    categories = report.get("categories", {})
    scores = {name: round(100 * (categories[name].get("score") or 0)) if name in categories else 0 for name in TARGETS}
    audits = report.get("audits", {})
    requests = ((audits.get("network-requests") or {}).get("details") or {}).get("items") or []
    foreign = [
        item["url"]
        for item in requests
        if urlsplit(item.get("url", "")).scheme in {"http", "https", "ws", "wss"}
        and urlsplit(item["url"]).hostname != HOST
    ]
    failing = []
    for name, target in TARGETS.items():
        if name in categories and scores[name] < target:
            for reference in categories[name].get("auditRefs", []):
                audit = audits.get(reference["id"], {})
                if reference.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
                    shown = audit.get("displayValue", "")
                    failing.append(f"{name}: {reference['id']}" + (f" ({shown})" if shown else ""))
    error = (report.get("runtimeError") or {}).get("message", "")
    return Result(report.get("finalDisplayedUrl", ""), scores, foreign, failing, error)


def median(results: list[Result]) -> Result:
    """Several runs of one page as one: each category's median score (Lighthouse's advice against its own
    variance), every foreign request seen in any run, and the failing audits of the categories still short."""
    scores = {name: round(statistics.median(result.scores[name] for result in results)) for name in TARGETS}
    short = {name for name, target in TARGETS.items() if scores[name] < target}
    return Result(
        results[0].url,
        scores,
        sorted({url for result in results for url in result.foreign_requests}),
        sorted({audit for result in results for audit in result.failing_audits if audit.split(":")[0] in short}),
        "; ".join(sorted({result.error for result in results if result.error})),
    )


def pages(languages: list[str]) -> list[str]:
    """Every public page of `content.PUBLIC_PAGES` (listed there in one language or another) in each of `languages`,
    French, the default language, without a prefix."""
    prefixes = tuple(f"/{code}/" for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE)
    paths = []
    for url in content.PUBLIC_PAGES:
        path = "/" + url[len(url.split("/")[1]) + 2 :] if url.startswith(prefixes) else url
        if path not in paths:
            paths.append(path)
    return [path if code == settings.LANGUAGE_CODE else f"/{code}{path}" for code in languages for path in paths]


def chrome_path() -> str:
    path = os.environ.get("CHROME_PATH") or shutil.which("chromium") or shutil.which("google-chrome")
    if not path:
        raise CommandError("Chromium is missing: `make system-packages` (Debian's package chromium) or CHROME_PATH")
    return path


class LighthouseFailed(Exception):
    """A Lighthouse run that gave no report (Chromium's trace lost, a timeout): worth running again."""


def lighthouse(url: str, output: Path, chrome: str) -> dict[str, Any]:
    """One Lighthouse run on `url`, mobile, its JSON report written to `output` and returned."""
    script = settings.BASE_DIR / LIGHTHOUSE
    if not script.is_file():
        raise CommandError(f"Lighthouse is missing ({LIGHTHOUSE}): `npm ci --prefix tools/lighthouse`")
    output.unlink(missing_ok=True)  # a failed run's report must not be read as this one's
    command = [
        shutil.which("node") or "node",
        str(script),
        url,
        "--form-factor=mobile",
        "--only-categories=" + ",".join(TARGETS),
        "--output=json",
        f"--output-path={output}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--quiet",
    ]
    # Its own process group: on a timeout, the Chromium that Lighthouse started is stopped with it.
    process = subprocess.Popen(  # noqa: S603 - our own command line
        command,
        env={**os.environ, "CHROME_PATH": chrome},
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        log, _ = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise LighthouseFailed(f"more than {RUN_TIMEOUT} s") from None
    if process.returncode != 0 or not output.is_file():
        raise LighthouseFailed(log.strip().splitlines()[-1] if log.strip() else f"exit code {process.returncode}")
    report: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return report


def measure(url: str, output: Path, chrome: str, attempts: int = 3) -> Result:
    """One run's result; a run that failed is tried again, and after `attempts` the page has an error, no score."""
    for attempt in range(1, attempts + 1):
        try:
            return parse(lighthouse(url, output, chrome))
        except LighthouseFailed as failure:
            if attempt == attempts:
                return Result(url, dict.fromkeys(TARGETS, 0), error=f"Lighthouse failed {attempts} times: {failure}")
    raise AssertionError("unreachable")


def visit(port: int, path: str) -> None:
    """One plain request, as the visitor before: the page is then what most visitors get (rendered, cached)."""
    client = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        client.request("GET", path)
        status = client.getresponse().status
    finally:
        client.close()
    if status != 200:
        raise CommandError(f"{path} answered {status}: is the demo loaded?")


class Command(BaseCommand):
    help = "Lighthouse (mobile) on every public page: performance, accessibility, best practices, foreign requests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--languages",
            default=",".join(code for code, _name in settings.LANGUAGES),
            help="comma-separated language codes: every public page in each (default: all)",
        )
        parser.add_argument("--page", action="append", help="measure this path only (repeatable)")
        parser.add_argument(
            "--runs", type=int, default=3, help="runs of a page that misses a target in its first; medians are kept"
        )
        parser.add_argument("--workers", type=int, default=2, help="gunicorn's sync workers")
        parser.add_argument("--keep", help="keep Lighthouse's JSON reports in this folder")
        parser.add_argument("--report", help="append the figures to this bench report (default: $BENCH_REPORT)")

    def handle(self, *args: Any, **options: Any) -> None:
        report = benchreport.report_path(options["report"])
        languages = options["languages"].split(",")
        known = {code for code, _name in settings.LANGUAGES}
        if not set(languages) <= known:
            raise CommandError(f"--languages takes codes among {', '.join(sorted(known))}")
        urls = options["page"] or pages(languages)
        chrome = chrome_path()
        directory = Path(tempfile.mkdtemp(prefix="bench-lighthouse-"))
        kept = Path(options["keep"]) if options["keep"] else directory
        kept.mkdir(parents=True, exist_ok=True)

        results = []
        web = serve(directory, options["workers"])
        try:
            web.wait_ready()
            for index, path in enumerate(urls):
                visit(web.port, path)
                name = re.sub(r"[^\w-]+", "_", path.strip("/")) or "home"
                runs = [measure(f"http://{HOST}:{web.port}{path}", kept / f"{index:02d}-0-{name}.json", chrome)]
                if runs[0].missed:
                    for run in range(1, options["runs"]):
                        output = kept / f"{index:02d}-{run}-{name}.json"
                        runs.append(measure(f"http://{HOST}:{web.port}{path}", output, chrome))
                result = median(runs)
                result.url = path + (f" (median of {len(runs)} runs)" if len(runs) > 1 else "")
                results.append(result)
                self.stdout.write(
                    f"{result.url:<46} "
                    + " ".join(f"{name} {result.scores[name]:>3}" for name in TARGETS)
                    + f"  other hosts {len(result.foreign_requests)}"
                )
                for line in [*result.failing_audits, *result.foreign_requests, *filter(None, [result.error])]:
                    self.stdout.write(f"    {line}")
        finally:
            web.stop()
            shutil.rmtree(directory, ignore_errors=True)

        # The three scores as one value, in the order of the first row; a request elsewhere is named in the figure.
        benchreport.write_row(report, "mobile, scores: performance/accessibility/best practices", None, section=SECTION)
        for result in results:
            foreign = len(result.foreign_requests)
            benchreport.write_row(
                report,
                result.url
                + (f", {foreign} request(s) to other hosts" if foreign else "")
                + (f", {result.error[:80]}" if result.error else ""),
                "/".join(str(result.scores[name]) for name in TARGETS),
                "scores",
                ">= " + "/".join(str(target) for target in TARGETS.values()) + ", no other host",
                not result.missed,
                section=SECTION,
            )
        failures = [f"{result.url} ({', '.join(result.missed)})" for result in results if result.missed]
        if failures:
            raise CommandError(f"{len(failures)} page(s) missed a Lighthouse target: {'; '.join(failures)}")
        self.stdout.write(self.style.SUCCESS(f"{SECTION}: all {len(results)} pages within their targets"))
