"""The program clock: each transition recorded once and in order, its notices written once, reminders at the right
instants, changes of dates announced; under concurrency, after downtime and across a change of the clocks."""

import threading
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.utils import timezone

from challenges import clock, services, tasks
from challenges.models import LateReminders, PhaseKind, PhaseStatus, PhaseTransition, ReminderRun
from datacity.audit.models import AuditEntry
from datacity.notifications.models import CLOCK_HEARTBEAT, Heartbeat, MailState, Notification
from datacity.notifications.services import dispatch_pending
from tests.factories import (
    ChallengeFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    PhaseFactory,
    ProgramFactory,
    UserFactory,
)

CASABLANCA = ZoneInfo("Africa/Casablanca")


def transitions(**filters) -> list[tuple[int, str]]:
    return list(PhaseTransition.objects.filter(**filters).order_by("pk").values_list("phase_id", "status"))


def kinds_by_person(kind: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for email in Notification.objects.filter(kind=kind).values_list("email", flat=True):
        counts[email] = counts.get(email, 0) + 1
    return counts


@pytest.mark.django_db
def test_tick_records_each_transition_once_in_order_and_catches_up():
    program = ProgramFactory.create()
    past = PhaseFactory.create(program=program, order=0)  # opened and closed while nothing ran
    current = PhaseFactory.create(program=program, order=1)
    future = PhaseFactory.create(program=program, order=2)
    now = current.starts_at + timedelta(hours=1)

    services.phase_tick(now=now)
    assert transitions() == [
        (past.pk, PhaseStatus.OPEN),
        (past.pk, PhaseStatus.CLOSED),
        (current.pk, PhaseStatus.OPEN),
    ]
    assert list(PhaseTransition.objects.filter(phase=past).values_list("sequence", "at")) == [
        (1, past.starts_at),
        (2, past.ends_at),
    ]

    assert services.phase_tick(now=now) == []
    assert PhaseTransition.objects.count() == 3

    services.phase_tick(now=future.starts_at)
    assert transitions()[3:] == [(current.pk, PhaseStatus.CLOSED), (future.pk, PhaseStatus.OPEN)]
    assert AuditEntry.objects.filter(action="phase.open", object_id=str(future.pk)).count() == 1
    assert Heartbeat.objects.get(name=CLOCK_HEARTBEAT).last_run_at is not None


@pytest.mark.django_db
def test_notices_go_to_the_people_the_phase_concerns_once():
    program = ProgramFactory.create()
    staff = UserFactory.create(is_staff=True)
    owner = PartnerMembershipFactory.create(partner=PartnerFactory.create()).user
    stranger_partner = PartnerMembershipFactory.create(partner=PartnerFactory.create()).user
    UserFactory.create(is_staff=True, is_active=False)  # a departed staff member hears nothing
    ChallengeFactory.create(program=program, owner=owner.partnermembership_set.get().partner)
    call = PhaseFactory.create(program=program, kind=PhaseKind.CALL_FOR_APPLICATIONS)

    services.phase_tick(now=call.starts_at)
    services.phase_tick(now=call.ends_at)
    services.phase_tick(now=call.ends_at + timedelta(minutes=1))

    for kind in ("phase.opened", "phase.closed"):
        assert kinds_by_person(kind) == {staff.email: 1, owner.email: 1}
    assert not Notification.objects.filter(recipient=stranger_partner).exists()


@pytest.mark.django_db
def test_an_edition_entered_after_the_fact_is_recorded_without_mailing_everyone():
    staff = UserFactory.create(is_staff=True)
    edition = ProgramFactory.create(starts_on=date(2017, 2, 1), ends_on=date(2017, 10, 31))
    old = PhaseFactory.create(program=edition, order=0)

    services.phase_tick()

    assert transitions(phase=old) == [(old.pk, PhaseStatus.OPEN), (old.pk, PhaseStatus.CLOSED)]
    assert not Notification.objects.filter(recipient=staff).exists()
    # Unless asked (the demo tells its people about its 2017 edition as if the clock had run then).
    PhaseFactory.create(program=edition, order=1)
    services.phase_tick(catch_up=None)
    assert kinds_by_person("phase.opened") == {staff.email: 1}


@pytest.mark.django_db(transaction=True)
def test_a_phase_ends_the_tick_runs_on_a_worker_and_each_notice_is_mailed_once(celery_worker):
    staff = UserFactory.create(is_staff=True, language="ar")
    now = timezone.now()
    program = ProgramFactory.create()
    phase = PhaseFactory.create(program=program, starts_at=now - timedelta(days=2), ends_at=now - timedelta(seconds=1))

    tasks.phase_tick.delay()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (
        len(mail.outbox) < 2 or Notification.objects.exclude(mail_state=MailState.SENT).exists()
    ):
        time.sleep(0.1)
    first_tick = Heartbeat.objects.get(name=CLOCK_HEARTBEAT).last_run_at
    tasks.phase_tick.delay()  # a second tick finds nothing new
    while time.monotonic() < deadline and Heartbeat.objects.get(name=CLOCK_HEARTBEAT).last_run_at == first_tick:
        time.sleep(0.05)
    assert Heartbeat.objects.get(name=CLOCK_HEARTBEAT).last_run_at > first_tick
    assert transitions(phase=phase) == [(phase.pk, PhaseStatus.OPEN), (phase.pk, PhaseStatus.CLOSED)]
    assert [message.to for message in mail.outbox] == [[staff.email], [staff.email]]
    assert len({message.extra_headers["Message-ID"] for message in mail.outbox}) == 2
    for message in mail.outbox:
        # In the recipient's language (Arabic), with an HTML part and an absolute link to the edition.
        assert any("\u0600" <= character <= "\u06ff" for character in f"{message.subject}{message.body}")
        assert f"{settings.SITE_URL}/ar{program.get_absolute_url()}" in message.body
        assert isinstance(message, EmailMultiAlternatives)
        assert message.alternatives[0][1] == "text/html"


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_the_same_instant_record_and_notify_once():
    """Without the tick's lock both would number the same transition 1 and one would fail on the constraint."""
    staff = UserFactory.create(is_staff=True)
    start = timezone.now() - timedelta(days=3)
    phase = PhaseFactory.create(starts_at=start, ends_at=start + timedelta(days=2))
    now = phase.ends_at
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            services.phase_tick(now=now)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert transitions(phase=phase) == [(phase.pk, PhaseStatus.OPEN), (phase.pk, PhaseStatus.CLOSED)]
    assert kinds_by_person("phase.opened") == {staff.email: 1}
    assert kinds_by_person("phase.closed") == {staff.email: 1}


@pytest.mark.django_db
def test_beat_down_for_two_hours_then_every_transition_in_order_each_notice_once():
    staff = UserFactory.create(is_staff=True)
    program = ProgramFactory.create()
    start = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    a = PhaseFactory.create(
        program=program, order=0, starts_at=start - timedelta(days=1), ends_at=start + timedelta(minutes=20)
    )
    b = PhaseFactory.create(program=program, order=1, starts_at=a.ends_at, ends_at=start + timedelta(minutes=80))
    c = PhaseFactory.create(program=program, order=2, starts_at=b.ends_at, ends_at=start + timedelta(days=5))
    services.phase_tick(now=start)
    assert transitions() == [(a.pk, PhaseStatus.OPEN)]

    services.phase_tick(now=start + timedelta(hours=2))  # beat was down in between

    assert transitions() == [
        (a.pk, PhaseStatus.OPEN),
        (a.pk, PhaseStatus.CLOSED),
        (b.pk, PhaseStatus.OPEN),
        (b.pk, PhaseStatus.CLOSED),
        (c.pk, PhaseStatus.OPEN),
    ]
    assert list(PhaseTransition.objects.order_by("pk").values_list("at", flat=True)) == sorted(
        PhaseTransition.objects.values_list("at", flat=True)
    )
    assert kinds_by_person("phase.opened") == {staff.email: 3}
    assert kinds_by_person("phase.closed") == {staff.email: 2}
    dispatch_pending(seconds=30)
    assert len(mail.outbox) == 5
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 5


def challenge_definition(program, **dates):
    return PhaseFactory.create(program=program, order=0, kind=PhaseKind.CHALLENGE_DEFINITION, **dates)


@pytest.mark.django_db
def test_reminders_once_per_person_and_delay_and_none_to_whoever_no_longer_needs_it():
    program = ProgramFactory.create()
    phase = challenge_definition(program)
    late = PartnerMembershipFactory.create().user
    done = PartnerMembershipFactory.create().user
    ChallengeFactory.create(program=program, owner=done.partnermembership_set.get().partner, status="draft")
    due_7d = clock.reminder_moment(phase.ends_at, 7, "d", CASABLANCA)

    services.phase_tick(now=due_7d - timedelta(seconds=1))
    assert not Notification.objects.filter(kind="reminder.challenge_definition").exists()
    services.phase_tick(now=due_7d)
    services.phase_tick(now=due_7d + timedelta(minutes=1))
    assert kinds_by_person("reminder.challenge_definition") == {late.email: 1}

    services.phase_tick(now=phase.ends_at - timedelta(days=1))
    assert kinds_by_person("reminder.challenge_definition") == {late.email: 2}

    # The partner proposes its challenge: the last reminder does not go to its members.
    ChallengeFactory.create(program=program, owner=late.partnermembership_set.get().partner, status="draft")
    services.phase_tick(now=phase.ends_at - timedelta(hours=2))
    assert kinds_by_person("reminder.challenge_definition") == {late.email: 2}
    assert list(ReminderRun.objects.values_list("offset", "recipients")) == [("7d", 1), ("1d", 1), ("2h", 0)]


@pytest.mark.django_db
@pytest.mark.parametrize(("policy", "expected"), [(LateReminders.SEND, 2), (LateReminders.SKIP, 0)])
def test_reminders_missed_during_downtime_are_sent_once_or_skipped_as_the_edition_says(policy, expected):
    program = ProgramFactory.create(late_reminders=policy)
    phase = challenge_definition(program)
    partner = PartnerMembershipFactory.create().user

    services.phase_tick(now=phase.ends_at - timedelta(hours=12))  # the 7-day and 1-day moments were missed
    services.phase_tick(now=phase.ends_at - timedelta(hours=11))

    assert kinds_by_person("reminder.challenge_definition").get(partner.email, 0) == expected
    assert ReminderRun.objects.filter(skipped=policy == LateReminders.SKIP).count() == 2
    services.phase_tick(now=phase.ends_at - timedelta(hours=2))  # on time: sent whatever the policy
    assert kinds_by_person("reminder.challenge_definition")[partner.email] == expected + 1


def clock_change(year: int, after: date) -> datetime:
    """The first instant after `after` at which Africa/Casablanca's offset from UTC changes (read from tzdata)."""
    moment = datetime(after.year, after.month, after.day, tzinfo=CASABLANCA)
    step = timedelta(hours=1)
    offset = moment.utcoffset()
    while moment.year == year:
        moment = (moment.astimezone(ZoneInfo("UTC")) + step).astimezone(CASABLANCA)
        if moment.utcoffset() != offset:
            return moment
    raise AssertionError("no change of the clocks found")


@pytest.mark.django_db
def test_transitions_and_reminders_across_a_casablanca_clock_change_fire_at_the_right_instant():
    change = clock_change(2026, date(2026, 3, 1))  # clocks go forward after Ramadan
    assert (change - timedelta(days=3)).utcoffset() != change.utcoffset()
    program = ProgramFactory.create(starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    # Ends at 03:00 wall-clock time just after the change; its 7-day reminder is due at 03:00 a week before, under
    # the other offset: one hour away from "7 times 24 hours before".
    # In UTC from here on: Python adds a duration to a datetime of one zone by wall-clock time.
    local_end = datetime.combine(change.date(), datetime.min.time()) + timedelta(hours=3)
    ends_at = timezone.make_aware(local_end, CASABLANCA).astimezone(UTC)
    assert ends_at >= change
    phase = challenge_definition(program, starts_at=ends_at - timedelta(days=20), ends_at=ends_at)
    partner = PartnerMembershipFactory.create().user
    due = clock.reminder_moment(phase.ends_at, 7, "d", CASABLANCA)
    assert timezone.localtime(due, CASABLANCA).hour == 3
    assert phase.ends_at.astimezone(UTC) - due == timedelta(days=6, hours=23)  # the hour the clocks skip
    assert phase.ends_at.astimezone(UTC) - due != timedelta(days=7)

    services.phase_tick(now=due - timedelta(seconds=1))
    assert not Notification.objects.filter(recipient=partner, kind="reminder.challenge_definition").exists()
    services.phase_tick(now=due)
    assert Notification.objects.filter(recipient=partner, kind="reminder.challenge_definition").count() == 1

    services.phase_tick(now=phase.ends_at - timedelta(seconds=1))
    assert transitions(phase=phase) == [(phase.pk, PhaseStatus.OPEN)]
    services.phase_tick(now=phase.ends_at)
    closed = PhaseTransition.objects.get(phase=phase, status=PhaseStatus.CLOSED)
    assert closed.at == phase.ends_at
    assert timezone.localtime(closed.at, CASABLANCA).hour == 3


@pytest.mark.django_db
def test_new_dates_are_announced_to_those_told_and_the_clock_follows_them():
    staff = UserFactory.create(is_staff=True)
    program = ProgramFactory.create()
    phase = challenge_definition(program)
    partner = PartnerMembershipFactory.create().user
    services.phase_tick(now=phase.starts_at)  # opened (staff, partner)
    now = phase.ends_at - timedelta(days=1)
    services.phase_tick(now=now)  # 7-day (late) and 1-day reminders (partner)
    assert kinds_by_person("reminder.challenge_definition") == {partner.email: 2}
    newcomer = UserFactory.create(is_staff=True)  # told nothing so far

    phase.ends_at += timedelta(days=3)
    services.phase_save(phase=phase, actor=staff, now=now)
    services.phase_save(phase=phase, actor=staff, now=now)  # saved again unchanged: nobody is told twice

    assert kinds_by_person("phase.rescheduled") == {staff.email: 1, partner.email: 1}
    assert newcomer.email not in kinds_by_person("phase.rescheduled")
    # Reminders follow the new end: its 7-day moment had passed when the dates changed (and the new dates were
    # announced), so it is not sent; its 1-day moment comes a day before the new end.
    services.phase_tick(now=phase.ends_at - timedelta(days=2))
    assert kinds_by_person("reminder.challenge_definition") == {partner.email: 2}
    services.phase_tick(now=phase.ends_at - timedelta(days=1))
    assert kinds_by_person("reminder.challenge_definition") == {partner.email: 3}

    # Closed, then reopened by a later end, then closed again: every change recorded, in sequence.
    services.phase_tick(now=phase.ends_at)
    reopened_at = phase.ends_at
    phase.ends_at += timedelta(days=2)
    services.phase_save(phase=phase, actor=staff, now=reopened_at)
    services.phase_tick(now=reopened_at + timedelta(minutes=1))
    services.phase_tick(now=phase.ends_at)
    assert [status for _pk, status in transitions(phase=phase)] == ["open", "closed", "open", "closed"]
    assert list(PhaseTransition.objects.filter(phase=phase).values_list("sequence", flat=True)) == [1, 2, 3, 4]
    assert kinds_by_person("phase.opened") == {staff.email: 2, partner.email: 2, newcomer.email: 1}
