"""`manage.py bench_notifications` (`make bench`): how fast the outbox writes and sends the notices of a big event.

On the current database (the demo's, after load_demo): 20,000 throwaway accounts, members of a partner of a
throwaway edition, then (i) the close of that edition's call for applications, recorded by one tick of the clock
with the notices it implies for all of them, timed in this process; (ii) those notices dispatched by a Celery worker
of two processes, started here with the in-memory mail backend, timed from the event's commit until no row is
pending. Targets live here, not in timed tests: the command exits non-zero when one is missed. The accounts, the
edition and their notices are deleted afterwards, whatever happened.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models
from django.db.models import Count, Max, Min
from django.utils import timezone

from challenges.models import Challenge, Phase, PhaseKind, PhaseStatus, PhaseTransition, Program
from challenges.services import phase_tick
from datacity.celery import app
from datacity.demo import benchreport
from datacity.notifications import tasks
from datacity.notifications.models import MailState, Notification
from partners.models import Partner, PartnerMembership

TARGET_WRITTEN_SECONDS = 5.0  # all 20,000 notices written within 5 s
TARGET_SENT_PER_SECOND = 500.0


@dataclass
class CallClosing:
    """The event measured: the close of a call for applications, announced by the clock itself (the minute tick) to
    everyone concerned, here the members of a partner whose challenge is in the edition: the `people` accounts."""

    people: models.QuerySet
    program: Program | None = None

    def prepare(self) -> None:
        now = timezone.now()
        self.program = Program.objects.create(
            name=f"Bench {now:%Y%m%d%H%M%S}",
            slug=f"bench-{uuid.uuid4().hex[:12]}",
            city="Casablanca",
            starts_on=timezone.localdate() - timedelta(days=10),
            ends_on=timezone.localdate() + timedelta(days=10),
        )
        partner = Partner.objects.create(name=f"Bench partner {self.program.slug}", slug=self.program.slug)
        Challenge.objects.create(
            program=self.program, owner=partner, title="Bench", slug=self.program.slug, problem_statement="Bench."
        )
        PartnerMembership.objects.bulk_create(
            (PartnerMembership(partner=partner, user_id=pk) for pk in self.people.values_list("pk", flat=True)),
            batch_size=5000,
        )
        phase = Phase.objects.create(
            program=self.program,
            order=0,
            kind=PhaseKind.CALL_FOR_APPLICATIONS,
            title="Bench call",
            starts_at=now - timedelta(days=5),
            ends_at=now - timedelta(seconds=1),  # ended: the next tick records the close
        )
        # Its opening is already on record (it is not what is measured).
        PhaseTransition.objects.create(phase=phase, sequence=1, status=PhaseStatus.OPEN, at=phase.starts_at)

    def run(self) -> models.QuerySet:
        """One tick of the clock: it records the close and writes its notices in one transaction."""
        phase_tick()
        return Notification.objects.filter(
            kind="phase.closed", object_id__in=PhaseTransition.objects.filter(phase__program=self.program).values("pk")
        )

    def clean_up(self) -> None:
        if self.program is None:
            return
        transitions = PhaseTransition.objects.filter(phase__program=self.program).values("pk")
        Notification.objects.filter(kind__startswith="phase.", object_id__in=transitions).delete()
        Challenge.objects.filter(program=self.program).delete()
        Phase.objects.filter(program=self.program).delete()
        Partner.objects.filter(slug=self.program.slug).delete()
        self.program.delete()


class Worker:
    """`celery worker --pool prefork --concurrency N` as a child process, mails to the in-memory backend."""

    def __init__(self, concurrency: int, log: Path):
        self.name = f"bench-notifications-{uuid.uuid4().hex[:8]}@%h"
        env = {**os.environ, "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
        command = [
            shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery",
            *("-A", "datacity", "worker", "--pool", "prefork", "--concurrency", str(concurrency)),
            *("-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "-n", self.name, "--loglevel", "INFO"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]
        self.log = log
        with log.open("w") as output:
            self.process = subprocess.Popen(  # noqa: S603 - our own command line
                command, env=env, cwd=settings.BASE_DIR, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, timeout: float = 60) -> None:
        hostname = self.name.replace("%h", os.uname().nodename)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CommandError(f"the Celery worker stopped at start (see {self.log})")
            if app.control.ping(destination=[hostname], timeout=0.5):
                return
        raise CommandError(f"the Celery worker did not answer within {timeout} s (see {self.log})")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown: the main process stops its children
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own process group (start_new_session)
                self.process.wait()


def timed(step: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = step()
    return result, time.perf_counter() - started


class Command(BaseCommand):
    help = "Time the writing and the dispatch of one event's notices to 20,000 people (run load_demo first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, default=20_000, help="accounts notified")
        parser.add_argument("--concurrency", type=int, default=2, help="worker processes sending")
        parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the dispatch")
        parser.add_argument("--report", help="append the figures to this bench report (default: $BENCH_REPORT)")

    def handle(
        self, *args: Any, people: int, concurrency: int, timeout: float, report: str | None = None, **options: Any
    ) -> None:
        report_file = benchreport.report_path(report)
        if settings.SETTINGS_MODULE.endswith(".production"):
            raise CommandError("bench_notifications creates thousands of accounts: never on production settings.")
        User = get_user_model()
        run = uuid.uuid4().hex[:8]
        languages = [code for code, _name in settings.LANGUAGES]
        directory = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
        worker = None
        event = CallClosing(people=User._default_manager.none())
        try:
            User._default_manager.bulk_create(
                (
                    User(
                        email=f"bench-{run}-{number}@example.invalid",
                        password=make_password(None),
                        language=languages[number % len(languages)],
                        is_demo=True,
                    )
                    for number in range(people)
                ),
                batch_size=2000,
            )
            recipients = User._default_manager.filter(email__startswith=f"bench-{run}-")
            event.people = recipients
            event.prepare()
            worker = Worker(concurrency, directory / "worker.log")
            worker.wait_ready()

            notices, written_seconds = timed(event.run)
            # The event's commit enqueued one dispatch; one more per worker process, as a busy platform would have.
            dispatched_at = time.perf_counter()
            for _ in range(concurrency):
                tasks.dispatch.delay()
            span = notices.aggregate(first=Min("pk"), last=Max("pk"), written=Count("pk"))
            written = span["written"]
            # Polled by primary key range (and the pending rows' index): cheap beside the workers on a small machine.
            ours = Notification.objects.filter(pk__range=(span["first"] or 0, span["last"] or 0))
            pending = ours.filter(mail_state=MailState.PENDING)
            while pending.exists():
                if time.perf_counter() - dispatched_at > timeout:
                    raise CommandError(f"{pending.count()} notices still pending after {timeout} s (see {worker.log})")
                time.sleep(0.2)
            sent_seconds = time.perf_counter() - dispatched_at
            sent = ours.filter(mail_state=MailState.SENT).count()
        finally:
            if worker is not None:
                worker.stop()
            event.clean_up()
            Notification.objects.filter(recipient__email__startswith=f"bench-{run}-").delete()
            User._default_manager.filter(email__startswith=f"bench-{run}-").delete()

        rows = [
            (
                "close of a call: notices written (one tick)",
                written,
                written_seconds,
                f"{people} in {TARGET_WRITTEN_SECONDS:.0f} s",
                written >= people and written_seconds <= TARGET_WRITTEN_SECONDS,
            ),
            (
                f"notices dispatched ({concurrency} worker processes)",
                sent,
                sent_seconds,
                f">= {TARGET_SENT_PER_SECOND:.0f}/s",
                sent >= people and sent / sent_seconds >= TARGET_SENT_PER_SECOND,
            ),
        ]
        self.stdout.write(f"{'step':<44} {'rows':>7} {'seconds':>8} {'rate/s':>9} {'target':>16}  result")
        for label, count, seconds, target, passed in rows:
            self.stdout.write(
                f"{label:<44} {count:>7} {seconds:>8.2f} {count / seconds:>9.0f} {target:>16}  "
                + (self.style.SUCCESS("PASS") if passed else self.style.ERROR("FAIL"))
            )
            benchreport.write_row(
                report_file, f"{label}: rate", count / seconds, "rows/s", target, passed, section="notifications"
            )
        if not all(passed for *_rest, passed in rows):
            raise CommandError(f"the outbox missed a target (the worker's log: {worker.log})")
        shutil.rmtree(directory, ignore_errors=True)
        self.stdout.write(self.style.SUCCESS("the outbox is within its targets"))
