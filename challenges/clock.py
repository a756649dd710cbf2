"""The program clock: what the minute tick does. Phase status is always computed from the dates (Phase.status); the
clock only records each change once, writes the notices it implies in the same transaction, and sends reminders
before deadlines. It catches up after downtime: a tick that comes late records every change it missed, in order.

Who hears of a phase is a list of audiences, each a function of the phase giving a queryset of people. This app
declares staff, partners and jurors; an app above it (startups) adds its own with `audience()` without this one
importing it. Reminders are declared the same way, each with its own rule for who still needs it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import Max, Q
from django.utils import timezone

from datacity.audit.services import record
from datacity.notifications.kinds import Kind
from datacity.notifications.models import CLOCK_HEARTBEAT, Heartbeat, Notification
from datacity.notifications.services import notify
from partners.models import PartnerMembership

from . import notices
from .models import (
    OFFSET_UNITS,
    Challenge,
    LateReminders,
    Phase,
    PhaseKind,
    PhaseStatus,
    PhaseTransition,
    ReminderRun,
    parse_offsets,
)

# Any constant shared by every tick: PostgreSQL lets one transaction at a time hold this lock, so two ticks started
# at the same instant (two beats by mistake, a manual run beside beat) record each change once, in order.
TICK_LOCK = 0x0DA7AC17
# With LateReminders.SKIP, a reminder found later than this after its moment is skipped rather than sent late.
REMINDER_GRACE = timedelta(minutes=15)
# How far back a late tick still sends the notices of the transitions it records (see record_transitions).
CATCH_UP = timedelta(days=7)

Audience = Callable[[Phase], models.QuerySet]
AUDIENCES: list[tuple[frozenset[str] | None, Audience]] = []


def audience(*phase_kinds: str) -> Callable[[Audience], Audience]:
    """Declare who hears of the opening and closing of phases of these kinds (all kinds when none is named)."""

    def register(function: Audience) -> Audience:
        AUDIENCES.append((frozenset(phase_kinds) or None, function))
        return function

    return register


def people_concerned(phase: Phase) -> models.QuerySet:
    """Everyone the phase concerns, each once: active accounts only."""
    User = get_user_model()
    condition = Q(pk__in=[])
    for kinds, function in AUDIENCES:
        if kinds is None or phase.kind in kinds:
            condition |= Q(pk__in=function(phase).values("pk"))
    return User._default_manager.filter(condition, is_active=True)


@audience()
def staff(phase: Phase) -> models.QuerySet:
    return get_user_model()._default_manager.filter(is_staff=True)


@audience()
def partners(phase: Phase) -> models.QuerySet:
    """While challenges are being defined, every partner may bring one; afterwards, the partners of the edition's
    challenges (owners and co-sponsors). Plain subqueries: no join that would repeat a person."""
    members = PartnerMembership.objects.all()
    if phase.kind != PhaseKind.CHALLENGE_DEFINITION:
        owners = Challenge.objects.filter(program=phase.program_id).values("owner_id")
        co_sponsors = Challenge.co_sponsors.through.objects.filter(challenge__program=phase.program_id)
        members = members.filter(Q(partner__in=owners) | Q(partner__in=co_sponsors.values("partner_id")))
    return get_user_model()._default_manager.filter(pk__in=members.values("user_id"))


@audience(PhaseKind.SELECTION)
def jurors(phase: Phase) -> models.QuerySet:
    return get_user_model()._default_manager.filter(jurymembership__program=phase.program_id)


# --- Reminders ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    """Reminders of one kind before the end of phases of one kind, at the edition's delays (Program.reminder_offsets).

    `recipients(phase)` is asked at the moment of sending, so whoever no longer needs the reminder (a partner who has
    proposed a challenge, an applicant who has submitted) is left out by the rule itself.
    """

    name: str
    phase_kind: str
    kind: Kind
    recipients: Audience


REMINDERS: list[Reminder] = []


def reminder(name: str, *, phase_kind: str, kind: Kind) -> Callable[[Audience], Audience]:
    def register(function: Audience) -> Audience:
        REMINDERS.append(Reminder(name, phase_kind, kind, function))
        return function

    return register


@reminder("partners-challenges", phase_kind=PhaseKind.CHALLENGE_DEFINITION, kind=notices.CHALLENGE_DEFINITION_REMINDER)
def partners_without_challenge(phase: Phase) -> models.QuerySet:
    """Members of partners that have not proposed a challenge to the edition yet (draft or published)."""
    proposed = Challenge.objects.filter(program=phase.program_id).values("owner_id")
    members = PartnerMembership.objects.exclude(partner__in=proposed).values("user_id")
    return get_user_model()._default_manager.filter(pk__in=members)


def reminder_moment(deadline: datetime, number: int, unit: str, time_zone: Any) -> datetime:
    """When a reminder `number` `unit` before `deadline` is due, in UTC. Days are calendar days in the edition's zone
    (the same wall-clock time, across a change of the clocks); hours and minutes are exact durations.

    Computed in UTC on purpose: Python subtracts two datetimes of one zone, or a duration from one, by wall-clock
    time, which is an hour off across a change of the clocks.
    """
    if unit == "d":
        local = timezone.localtime(deadline, time_zone).replace(tzinfo=None) - timedelta(days=number)
        return timezone.make_aware(local, time_zone).astimezone(UTC)
    return deadline.astimezone(UTC) - timedelta(**{OFFSET_UNITS[unit]: number})


# --- The tick -------------------------------------------------------------------------------------------------


def _changes(phase: Phase, last: str | None, now: datetime) -> list[tuple[datetime, str]]:
    """The transitions that take a phase from its last recorded status to the one its dates give at `now`."""
    current = phase.status(now)
    if current == (last or PhaseStatus.UPCOMING):
        return []
    if current == PhaseStatus.UPCOMING:  # its start was moved later: it is waiting again
        return [(now, PhaseStatus.UPCOMING)]
    if current == PhaseStatus.OPEN:
        return [(phase.starts_at if last is None else now, PhaseStatus.OPEN)]
    opened = [] if last == PhaseStatus.OPEN else [(phase.starts_at, PhaseStatus.OPEN)]
    return [*opened, (phase.ends_at, PhaseStatus.CLOSED)]


def record_transitions(now: datetime, catch_up: timedelta | None) -> list[PhaseTransition]:
    """Record, in the order they happened, the transitions not recorded yet, with their notices. Call under the lock.

    A transition older than `catch_up` is recorded without notices: the clock catches up after downtime, but an
    edition entered after the fact (last year's, for the record) does not mail everyone about its past phases.
    """
    last = PhaseTransition.objects.filter(phase=models.OuterRef("pk")).order_by("-sequence")
    phases = Phase.objects.select_related("program").annotate(
        last_status=models.Subquery(last.values("status")[:1]), last_sequence=Max("transitions__sequence")
    )
    steps = []
    for phase in phases:
        for index, (at, status) in enumerate(_changes(phase, phase.last_status, now)):
            steps.append((at, phase.program_id, phase.order, index, phase, status))
    recorded = []
    sequences: dict[int, int] = {}
    for at, _program, _order, _index, phase, status in sorted(steps, key=lambda step: step[:4]):
        sequence = sequences.get(phase.pk, phase.last_sequence or 0) + 1
        sequences[phase.pk] = sequence
        transition = PhaseTransition.objects.create(
            phase=phase, sequence=sequence, status=status, at=at, recorded_at=now
        )
        count = 0
        recent = catch_up is None or now - at <= catch_up
        if recent and status in (PhaseStatus.OPEN, PhaseStatus.CLOSED):
            kind = notices.PHASE_OPENED if status == PhaseStatus.OPEN else notices.PHASE_CLOSED
            count = notify(
                kind=kind,
                recipients=people_concerned(phase),
                obj=transition,
                url=phase.program.get_absolute_url(),
                context=phase_context(phase),
            )
        record(action=f"phase.{status}", obj=phase, at=at.isoformat(), notices=count)
        recorded.append(transition)
    return recorded


def phase_context(phase: Phase) -> dict[str, Any]:
    """What the phase notices show, frozen at the moment of the notice (JSON values only)."""
    return {
        "phase_id": phase.pk,
        "program_id": phase.program_id,
        "starts_at": phase.starts_at.isoformat(),
        "ends_at": phase.ends_at.isoformat(),
        "time_zone": str(phase.program.time_zone),
    }


def send_reminders(now: datetime) -> list[ReminderRun]:
    """Deal with every reminder moment come by `now` for open phases, once each. Call under the lock."""
    kinds = {reminder.phase_kind for reminder in REMINDERS}
    open_phases = Phase.objects.select_related("program").filter(kind__in=kinds, starts_at__lte=now, ends_at__gt=now)
    runs = []
    for phase in open_phases:
        done = set(ReminderRun.objects.filter(phase=phase, deadline=phase.ends_at).values_list("reminder", "offset"))
        for spec in (spec for spec in REMINDERS if spec.phase_kind == phase.kind):
            for number, unit in parse_offsets(phase.program.reminder_offsets):
                offset = f"{number}{unit}"
                due = reminder_moment(phase.ends_at, number, unit, phase.program.time_zone)
                if due > now or (spec.name, offset) in done or due < phase.starts_at:
                    continue
                late = now - due > REMINDER_GRACE
                skipped = late and phase.program.late_reminders == LateReminders.SKIP
                count = 0
                if not skipped:
                    count = notify(
                        kind=spec.kind,
                        recipients=spec.recipients(phase).filter(is_active=True),
                        obj=phase,
                        key=f"{spec.name}:{offset}:{phase.ends_at.isoformat()}",
                        url=phase.program.get_absolute_url(),
                        context={**phase_context(phase), "offset": offset},
                    )
                runs.append(
                    ReminderRun.objects.create(
                        phase=phase,
                        reminder=spec.name,
                        offset=offset,
                        deadline=phase.ends_at,
                        due_at=due,
                        recorded_at=now,
                        recipients=count,
                        skipped=skipped,
                    )
                )
                record(
                    action="phase.reminder_skipped" if skipped else "phase.reminder_sent",
                    obj=phase,
                    reminder=spec.name,
                    offset=offset,
                    due_at=due.isoformat(),
                    recipients=count,
                )
    return runs


def tick(
    *, now: datetime | None = None, catch_up: timedelta | None = CATCH_UP
) -> tuple[list[PhaseTransition], list[ReminderRun]]:
    """One run of the clock: transitions, then reminders, then the heartbeat /health/ reads. Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TICK_LOCK])
        transitions = record_transitions(now, catch_up)
        runs = send_reminders(now)
        Heartbeat.objects.update_or_create(name=CLOCK_HEARTBEAT, defaults={"last_run_at": timezone.now()})
    return transitions, runs


def told_about(phase: Phase) -> models.QuerySet:
    """The people who were told something about this phase (its openings, closings, reminders, changes of dates)."""
    about = Notification.objects.filter(
        Q(content_type=ContentType.objects.get_for_model(Phase), object_id=phase.pk)
        | Q(
            content_type=ContentType.objects.get_for_model(PhaseTransition),
            object_id__in=phase.transitions.values("pk"),
        ),
        recipient__isnull=False,
    )
    return get_user_model()._default_manager.filter(pk__in=about.values("recipient"), is_active=True)


def announce_new_dates(phase: Phase, *, was: tuple[datetime, datetime], now: datetime | None = None) -> int:
    """Tell everyone already told of this phase that its dates changed (once per new pair of dates).

    The reminder moments of the new end that have already passed are recorded as skipped: the notice of the new
    dates says what a "7 days left" reminder, sent late, would.
    """
    now = now or timezone.now()
    for spec in (spec for spec in REMINDERS if spec.phase_kind == phase.kind):
        for number, unit in parse_offsets(phase.program.reminder_offsets):
            due = reminder_moment(phase.ends_at, number, unit, phase.program.time_zone)
            if due <= now:
                ReminderRun.objects.get_or_create(
                    phase=phase,
                    reminder=spec.name,
                    offset=f"{number}{unit}",
                    deadline=phase.ends_at,
                    defaults={"due_at": due, "recorded_at": now, "skipped": True},
                )
    return notify(
        kind=notices.PHASE_RESCHEDULED,
        recipients=told_about(phase),
        obj=phase,
        key=f"{phase.starts_at.isoformat()}/{phase.ends_at.isoformat()}",
        url=phase.program.get_absolute_url(),
        context={**phase_context(phase), "was_starts_at": was[0].isoformat(), "was_ends_at": was[1].isoformat()},
    )
