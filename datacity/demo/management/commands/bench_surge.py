"""`manage.py bench_surge --startups 300` (`make bench`): several hundred startups save and submit their applications,
with a file, in the last minute before the call for applications closes, a share of them just after.

Starts gunicorn as production runs it (bench_pages' web process: production settings, DEBUG off, sync workers,
static files collected) on 127.0.0.1, creates an edition whose call closes `--closes-in` seconds after the start, and
the startups in bulk (an owner each, with a session made on the server's side: no login form, no password hashed),
then runs the scenario of `datacity.demo.surge`: one thread per startup opens its draft, saves it with a small PDF,
opens it again and submits it before the deadline; the late ones submit just after it. It prints the errors, p50
and p95 of the saves and submissions, and checks what the database holds against what the server answered. Exits
non-zero when a request failed (5xx, no answer, an unexpected answer), an accepted submission is lost, a late one
was accepted, or the database holds anything else. What it created is removed afterwards, whatever happened.
"""

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from datacity.demo import benchreport, surge
from datacity.demo.management.commands.bench_pages import serve

SECTION = "surge"


class Command(BaseCommand):
    help = "Startups save and submit applications with files around a call's deadline, on gunicorn: nothing lost."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--startups", type=int, default=300, help="how many startups apply")
        parser.add_argument("--late-share", type=float, default=0.1, help="the share that submits after the deadline")
        parser.add_argument("--closes-in", type=float, default=60.0, help="seconds from the start to the deadline")
        parser.add_argument(
            "--spread", type=float, default=40.0, help="the startups open their drafts within these first seconds"
        )
        parser.add_argument("--workers", type=int, default=4, help="gunicorn's sync workers")
        parser.add_argument("--report", help="append the figures to this bench report (default: $BENCH_REPORT)")
        parser.add_argument("--keep", action="store_true", help="keep the edition and its startups afterwards")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["spread"] >= options["closes_in"]:
            raise CommandError("--spread must be shorter than --closes-in: the on-time startups start before it")
        report = benchreport.report_path(options["report"])
        directory = Path(tempfile.mkdtemp(prefix="bench-surge-"))
        log = directory / "gunicorn.log"
        web = serve(directory, options["workers"])
        scenario: surge.Scenario | None = None
        try:
            web.wait_ready()
            began = time.perf_counter()
            scenario = surge.prepare(
                startups=options["startups"],
                late_share=options["late_share"],
                secret_key=web.env["SECRET_KEY"],  # the sessions must be signed with the server's own key
                spread=options["spread"],
            )
            self.stdout.write(
                f"surge: {options['startups']} startups and their sessions created in "
                f"{time.perf_counter() - began:.1f} s; gunicorn {options['workers']} sync workers; "
                f"the call closes in {options['closes_in']:.0f} s"
            )
            load = os.getloadavg()[0]
            outcome = surge.run_surge(scenario, f"http://127.0.0.1:{web.port}", closes_in=options["closes_in"])
            web.stop()
            verdict = surge.verify(scenario, outcome)
        finally:
            web.stop()
            if scenario is not None and not options["keep"]:
                surge.cleanup(scenario)
        # The machine's load when the surge began: other work on the same cores slows every answer down.
        self.stdout.write(f"  load average (1 min) at the start: {load:.1f} on {os.cpu_count()} cores")
        benchreport.write_row(report, "load average at the start", round(load, 1), section=SECTION)
        self.print(verdict, report)
        if not verdict.ok:
            for problem in [*verdict.errors, *verdict.lost, *verdict.late_accepted, *verdict.mismatched][:20]:
                self.stderr.write(f"  {problem}")
            raise CommandError(f"the surge failed (gunicorn's log: {log})")
        shutil.rmtree(directory, ignore_errors=True)
        self.stdout.write(self.style.SUCCESS("surge: no error, no submission lost, every late one refused"))

    def print(self, verdict: surge.Verdict, report: Path | None) -> None:
        for name, value, unit, target, ok in surge.summary(verdict):
            result = {True: "PASS", False: "FAIL", None: ""}[ok]
            self.stdout.write(f"  {name:<52} {value:>9} {unit:<3} {target:<6} {result}")
            benchreport.write_row(report, name, value, unit, target, ok, section=SECTION)
