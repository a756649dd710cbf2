"""The outbox under faults: a worker killed mid-batch, Redis's queues flushed, two dispatchers on the same rows, a
batch that outlasts its lease, a relay that refuses mails. Whatever happens, every mail leaves exactly once.

Real PostgreSQL, Redis and Celery workers throughout: a worker in a process of its own (so that it can be killed),
the in-thread worker of tests/conftest.py, or dispatchers in threads, each with its own database connection.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis
from celery.worker import state as worker_state
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.db import connection, connections, transaction
from django.utils import timezone

from datacity.audit.models import AuditEntry
from datacity.notifications import kinds, services, tasks
from datacity.notifications.kinds import Kind
from datacity.notifications.models import MailState, Notification
from tests.mail_sink import Flaky, message_id

# Workers and dispatcher threads have connections of their own: they see only what the test has committed.
transactional = pytest.mark.django_db(transaction=True)

FAULT = kinds.register(Kind("test.fault", "Test", optional=False))


# --- Helpers --------------------------------------------------------------------------------------------------


def queue_mails(count: int) -> list[int]:
    """`count` mails written in advance, in one transaction as an event would; returns their rows' ids."""
    with transaction.atomic():
        for number in range(count):
            message = EmailMessage(f"Fault {number}", "Body.", to=[f"person{number}@example.org"])
            services.notify_mail(kind=FAULT, message=message)
    # Looked up rather than returned: notify_mail's bulk_create(ignore_conflicts=True) gets no primary key back
    # from PostgreSQL, so it returns None even for a row it wrote.
    ids = list(Notification.objects.filter(kind=FAULT.name).order_by("pk").values_list("pk", flat=True))
    assert len(ids) == count
    return ids


def message_ids(ids: list[int]) -> list[str]:
    """The Message-ID each row's mail carries (services.render puts the row's id in it)."""
    return [message_id(services.render(row)) for row in Notification.objects.filter(pk__in=ids).order_by("pk")]


def states(ids: list[int]) -> Counter[str]:
    return Counter(Notification.objects.filter(pk__in=ids).values_list("mail_state", flat=True))


def wait_until(
    condition: Callable[[], object], *, timeout: float, every: float = 0.05, what: str | Callable[[], str] = ""
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what() if callable(what) else what or condition}")
        time.sleep(every)


def broker() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def purge(celery_app, queue: str) -> None:
    with celery_app.connection_for_write() as connection_:
        connection_.default_channel.queue_purge(queue)


@contextmanager
def default_queue(celery_app, queue: str) -> Iterator[str]:
    """Tasks this process enqueues (the dispatch `notify_mail` enqueues after commit) go to `queue` meanwhile."""
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        celery_app.conf.task_default_queue = previous


@contextmanager
def dispatch_parked(celery_app) -> Iterator[str]:
    """Keep the dispatch that writing the rows enqueues away from any worker (a queue nobody consumes): the test
    decides who dispatches. The in-thread worker of conftest.py may be running, started by an earlier test."""
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-parked"
    with default_queue(celery_app, queue):
        try:
            yield queue
        finally:
            purge(celery_app, queue)


def settle(celery_app, timeout: float = 15) -> None:
    """Wait until the in-thread worker has nothing queued or running: no task of this test runs into the next."""
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    wait_until(
        lambda: broker().llen(queue) == 0 and not worker_state.active_requests, timeout=timeout, what="a quiet worker"
    )


def in_threads(*targets: Callable[[], Any]) -> list[Any]:
    """Run each target in its own thread (its own database connection, closed at the end); their results in order."""
    results: list[Any] = [None] * len(targets)
    errors: list[BaseException] = []

    def run(index: int, target: Callable[[], Any]) -> None:
        try:
            results[index] = target()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, target)) for index, target in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


# --- a. A worker killed in the middle of a batch, then restarted ----------------------------------------------


def database_url() -> str:
    """The test database (not the one DATABASE_URL names) as a URL, for a worker in another process."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = ":" + quote(db["PASSWORD"], safe="") if db["PASSWORD"] else ""
    host = db["HOST"] or db.get("OPTIONS", {}).get("host", "")
    if host.startswith("/"):  # a Unix socket (the embedded PostgreSQL of `make test`)
        return f"postgres://{user}{password}@/{db['NAME']}?host={quote(host, safe='')}"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


class WorkerProcesses:
    """`celery worker --pool solo` processes on one queue, delivering to a file (tests.mail_sink.FileSink)."""

    def __init__(self, directory: Path, queue: str):
        self.directory, self.queue = directory, queue
        self.sink = directory / "sink.txt"
        self.hold = directory / "sink.hold"
        self.held = directory / "sink.hold.held"
        self.processes: list[subprocess.Popen] = []
        self.sink.touch()

    def start(self) -> subprocess.Popen:
        number = len(self.processes) + 1
        env = {
            **os.environ,
            "PYTHONPATH": str(settings.BASE_DIR),
            "DJANGO_SETTINGS_MODULE": "datacity.settings.test",
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.CELERY_BROKER_URL,
            "TEST_REDIS_URL": settings.CELERY_BROKER_URL,
            "TEST_CELERY_QUEUE": self.queue,
            "TEST_EMAIL_BACKEND": "tests.mail_sink.FileSink",
            "MAIL_SINK_FILE": str(self.sink),
            "MAIL_SINK_HOLD": str(self.hold),
            "MAIL_SINK_DELAY": "0.01",
            # A dead worker's rows come back after 3 s, not 5 minutes.
            "NOTIFICATION_CLAIM_SECONDS": "3",
        }
        command = [
            str(Path(sys.executable).with_name("celery")),
            *("-A", "datacity", "worker", "--pool", "solo", "-Q", self.queue, "-n", f"fault{number}@%h"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"),
        ]
        with (self.directory / f"worker{number}.log").open("w") as log:
            process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def delivered(self) -> list[str]:
        return self.sink.read_text().split()

    def logs(self) -> str:
        return "\n".join(path.read_text()[-3000:] for path in sorted(self.directory.glob("worker*.log")))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def worker_processes(tmp_path, celery_app):
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-process"
    purge(celery_app, queue)
    workers = WorkerProcesses(tmp_path, queue)
    with default_queue(celery_app, queue):
        yield workers
    workers.stop()
    purge(celery_app, queue)


@transactional
def test_worker_killed_mid_batch_then_restarted_sends_each_mail_once(worker_processes, celery_app):
    workers = worker_processes
    first = workers.start()
    ids = queue_mails(100)  # enqueues the dispatch, to the workers' queue
    expected = set(message_ids(ids))

    wait_until(lambda: len(workers.delivered()) >= 20, timeout=30, what=lambda: f"20 mails sent\n{workers.logs()}")
    # Kill it where a real crash could only lose work, never repeat it: the sink is holding a mail *before* it has
    # left (FileSink records a mail as it leaves), the previous mail's row already marked sent. The one place a crash
    # could cause a duplicate, between a mail leaving and its row being marked (two statements, about a millisecond
    # apart), is thus avoided by design, and exactly-once is what can be asserted.
    workers.hold.touch()
    wait_until(workers.held.exists, timeout=10, what="the worker to hold a mail")
    first.kill()  # SIGKILL: no warm shutdown, no cleanup, nothing acknowledged
    first.wait(timeout=10)

    held = workers.held.read_text()
    delivered = workers.delivered()
    sent = Notification.objects.filter(pk__in=ids, mail_state=MailState.SENT)
    # Each mail that left was marked at once, and only those: the row of the mail held when the worker died is not.
    assert set(message_ids(list(sent.values_list("pk", flat=True)))) == set(delivered)
    assert held not in delivered
    assert 20 <= len(delivered) < 100
    # Killed mid-batch: rows it had claimed and not sent are held by its lease, other rows simply wait.
    claimed = Notification.objects.filter(pk__in=ids, mail_state=MailState.PENDING, claim__isnull=False)
    assert claimed.exists(), "the kill should land in the middle of a claimed batch"

    # The dead worker's task message is gone with it (acknowledged late, it comes back only after Redis's visibility
    # timeout, an hour). The other dispatch messages (notify_mail enqueues one per mail) are dropped too: the sweep,
    # what beat runs every minute and here every half second, must be what brings the rest out; the rows the dead
    # worker had claimed are due again once its lease (3 s) has run out.
    purge(celery_app, workers.queue)
    workers.hold.unlink()
    workers.start()

    def all_sent() -> bool:
        if Notification.objects.filter(pk__in=ids).exclude(mail_state=MailState.SENT).exists():
            tasks.sweep.delay()
            return False
        return True

    wait_until(all_sent, timeout=40, every=0.5, what=lambda: f"every row sent\n{workers.logs()}")
    delivered = workers.delivered()
    assert Counter(delivered).most_common(1)[0][1] == 1, "a mail was sent twice"
    assert set(delivered) == expected
    assert states(ids) == {MailState.SENT: 100}


# --- b. Redis's queues flushed while rows are pending ---------------------------------------------------------


@transactional
def test_redis_flushed_before_any_worker_consumed_the_sweep_sends_each_mail_once(request, celery_app):
    with dispatch_parked(celery_app) as queue:
        ids = queue_mails(20)
        assert broker().llen(queue) > 0  # the dispatch tasks are in Redis...
        broker().flushdb()  # ...and Redis loses them (a restart without persistence, a failover, FLUSHDB)
        assert broker().llen(queue) == 0
    assert states(ids) == {MailState.PENDING: 20}

    request.getfixturevalue("celery_worker")
    tasks.sweep.delay()  # beat's next minute
    wait_until(lambda: states(ids) == {MailState.SENT: 20}, timeout=20, what="every row sent")
    settle(celery_app)

    assert sorted(message_id(message) for message in mail.outbox) == sorted(message_ids(ids))


# --- c. Two dispatchers at the same time on the same rows ------------------------------------------------------


@transactional
def test_two_dispatchers_at_once_share_the_rows_and_send_each_mail_once(settings, celery_app):
    """Why this fails without the guards (each checked by running this file against a claim_batch without it):
    a claim is a short transaction (lock the due rows, write the lease, commit) and the sending comes after it.
    - Without the lease, rows are due again as soon as the claim commits: the other dispatcher claims the rows the
      first is still sending (20 ms a mail, so always) and both send them: 183 mails for 60 rows in the check run
      (with the lease renewal of send_batch, nothing is sent at all: either way this test fails).
    - Without FOR UPDATE, two claims that read at the same instant take the same rows: duplicates here when the
      claims coincide (seen in one of two runs), and test_a_claim_skips_... fails every time.
    - Without SKIP LOCKED alone, nothing is sent twice (the second claim waits for the first to commit, then finds
      those rows leased) but a dispatcher waits behind another's locks: test_a_claim_skips_... fails.
    """
    settings.EMAIL_BACKEND = "tests.mail_sink.SlowMemory"
    settings.MAIL_SINK_DELAY = 0.02
    with dispatch_parked(celery_app):
        ids = queue_mails(60)
    barrier = threading.Barrier(2)

    def dispatcher() -> tuple[int, bool]:
        barrier.wait(timeout=10)
        return services.dispatch_pending(batch_size=10, seconds=30)

    results = in_threads(dispatcher, dispatcher)

    sent = [result[0] for result in results]
    assert states(ids) == {MailState.SENT: 60}
    assert sum(sent) == 60
    assert all(count > 0 for count in sent), f"both dispatchers should have sent some: {sent}"
    delivered = [message_id(message) for message in mail.outbox]
    assert Counter(delivered).most_common(1)[0][1] == 1, "a mail was sent twice"
    assert sorted(delivered) == sorted(message_ids(ids))


@transactional
def test_a_claim_skips_the_rows_another_dispatcher_is_claiming(celery_app):
    """While another dispatcher's claim holds row locks, a claim takes the other due rows at once (SKIP LOCKED)
    instead of waiting for it; with a plain FOR UPDATE it would wait, and the lock timeout below makes that fail."""
    with dispatch_parked(celery_app):
        ids = queue_mails(20)
    locked, release = threading.Event(), threading.Event()

    def other_claim() -> None:
        with transaction.atomic():
            list(Notification.objects.filter(pk__in=ids[:10]).select_for_update().values_list("pk", flat=True))
            locked.set()
            release.wait(timeout=10)

    holder = threading.Thread(target=lambda: in_threads(other_claim))
    holder.start()
    try:
        assert locked.wait(timeout=10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '1s'")
        started = time.monotonic()
        _claim, claimed = services.claim_batch(now=timezone.now(), size=20)
        waited = time.monotonic() - started
    finally:
        release.set()
        holder.join(timeout=15)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert sorted(claimed) == sorted(ids[10:])
    assert waited < 0.5


@transactional
def test_a_batch_that_outlasts_its_lease_is_not_sent_twice(settings, celery_app):
    """A relay slower than the lease: the dispatcher renews its lease while it sends, so a second dispatcher coming
    after the first lease would have run out finds nothing to take, and no mail leaves twice."""
    settings.EMAIL_BACKEND = "tests.mail_sink.SlowMemory"
    settings.MAIL_SINK_DELAY = 0.25
    settings.NOTIFICATION_CLAIM_SECONDS = 1
    with dispatch_parked(celery_app):
        ids = queue_mails(8)  # one batch: 2 s of sending, twice the lease

    def first() -> tuple[int, bool]:
        return services.dispatch_pending(batch_size=8, seconds=30)

    def second() -> tuple[int, bool]:
        time.sleep(1.4)  # the first lease has run out, the first dispatcher is half-way through its batch
        return services.dispatch_pending(batch_size=8, seconds=30)

    results = in_threads(first, second)

    assert [result[0] for result in results] == [8, 0]
    delivered = [message_id(message) for message in mail.outbox]
    assert sorted(delivered) == sorted(message_ids(ids))
    assert states(ids) == {MailState.SENT: 8}


# --- d. A relay that refuses: retries with backoff, then given up and recorded ---------------------------------


def test_backoff_grows_with_jitter_within_the_documented_bounds(settings):
    """About 30 s, 1, 2, 4... minutes, at most an hour; each delay drawn between half and all of it."""
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 3600
    ceilings = []
    for attempts in range(1, 13):
        ceiling = min(3600, 30 * 2 ** (attempts - 1))
        delays = [services.retry_delay(attempts).total_seconds() for _ in range(500)]
        assert ceiling / 2 <= min(delays) <= max(delays) <= ceiling
        assert max(delays) - min(delays) > ceiling / 4  # spread, not one instant for every failed mail
        ceilings.append(ceiling)
    assert ceilings[:4] == [30, 60, 120, 240]
    assert ceilings[-1] == 3600


@pytest.fixture
def flaky_relay(settings):
    settings.EMAIL_BACKEND = "tests.mail_sink.Flaky"
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 1
    Flaky.reset()
    yield Flaky.attempts
    Flaky.reset()


def sweep_until(condition: Callable[[], bool], *, timeout: float, on_poll: Callable[[], None] = lambda: None):
    """Beat's minute sweep, every quarter of a second, until `condition` holds."""
    last_sweep = 0.0

    def done() -> bool:
        nonlocal last_sweep
        on_poll()
        if condition():
            return True
        if time.monotonic() - last_sweep > 0.25:
            tasks.sweep.delay()
            last_sweep = time.monotonic()
        return False

    wait_until(done, timeout=timeout, every=0.02, what="the rows' final state")


@transactional
def test_refused_mails_are_retried_later_and_later_then_sent_once(settings, flaky_relay, celery_worker, celery_app):
    settings.MAIL_SINK_FAIL_FIRST = 2  # each address: refused twice, accepted the third time
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 60
    ids = queue_mails(5)  # the dispatch enqueued after commit goes to the in-thread worker
    # For each row, the retry time its n-th failure set (polled: each stays for 0.5 to 2 s).
    retry_at: dict[int, dict[int, float]] = defaultdict(dict)

    def look() -> None:
        for pk, attempts, next_attempt_at in Notification.objects.filter(pk__in=ids, attempts__gt=0).values_list(
            "pk", "attempts", "next_attempt_at"
        ):
            retry_at[pk].setdefault(attempts, next_attempt_at.timestamp())

    sweep_until(lambda: states(ids) == {MailState.SENT: 5}, timeout=20, on_poll=look)
    settle(celery_app)

    rows = Notification.objects.filter(pk__in=ids)
    assert {row.attempts for row in rows} == {2}
    first_delays = []
    for row in rows:
        tried = flaky_relay[row.email]
        assert len(tried) == 3
        assert set(retry_at[row.pk]) == {1, 2}
        for attempt, ceiling in ((1, 1), (2, 2)):
            delay = retry_at[row.pk][attempt] - tried[attempt - 1]
            # Between half and all of the ceiling (plus the few milliseconds between the refusal and its record)...
            assert ceiling / 2 <= delay <= ceiling + 0.2, (attempt, delay)
            # ...and never retried before its time.
            assert tried[attempt] >= retry_at[row.pk][attempt] - 0.05
        first_delays.append(retry_at[row.pk][1] - tried[0])
    assert len({round(delay, 3) for delay in first_delays}) > 1  # jitter: not all at the same instant
    delivered = [message_id(message) for message in mail.outbox]
    assert sorted(delivered) == sorted(message_ids(ids))


@transactional
def test_after_the_last_attempt_a_mail_is_failed_and_recorded(settings, flaky_relay, celery_worker, celery_app):
    settings.MAIL_SINK_FAIL_FIRST = 1000
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 1
    ids = queue_mails(3)

    sweep_until(lambda: states(ids) == {MailState.FAILED: 3}, timeout=20)
    settle(celery_app)

    assert services.sweep() == 0  # nothing due: a failed mail is not tried again
    rows = Notification.objects.filter(pk__in=ids)
    assert {row.attempts for row in rows} == {3}
    assert all("relay refused attempt 3" in row.last_error for row in rows)
    assert all(len(flaky_relay[row.email]) == 3 for row in rows)
    assert mail.outbox == []
    entries = AuditEntry.objects.filter(action="notification.failed")
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(str(pk) for pk in ids)
    assert all(entry.details["kind"] == FAULT.name for entry in entries)
    assert all("relay refused attempt 3" in entry.details["error"] for entry in entries)
    assert {entry.actor_email for entry in entries} == {"system:" + tasks.dispatch.name}
