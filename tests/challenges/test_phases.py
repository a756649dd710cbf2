"""Phase status at its boundaries, in Africa/Casablanca across Ramadan, and overlapping phases refused."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from challenges.models import Phase, PhaseStatus
from tests.factories import PhaseFactory, ProgramFactory

CASABLANCA = ZoneInfo("Africa/Casablanca")
SECOND = timedelta(seconds=1)

pytestmark = pytest.mark.django_db


def test_status_one_second_around_each_boundary():
    phase = PhaseFactory.create(
        program=ProgramFactory.create(starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31)),
        starts_at=datetime(2027, 4, 3, 9, 0, tzinfo=CASABLANCA),
        ends_at=datetime(2027, 5, 15, 18, 0, tzinfo=CASABLANCA),
    )
    assert phase.status(phase.starts_at - SECOND) == PhaseStatus.UPCOMING
    assert phase.status(phase.starts_at) == PhaseStatus.OPEN
    assert phase.status(phase.starts_at + SECOND) == PhaseStatus.OPEN
    assert phase.status(phase.ends_at - SECOND) == PhaseStatus.OPEN
    assert phase.status(phase.ends_at) == PhaseStatus.CLOSED
    assert phase.status(phase.ends_at + SECOND) == PhaseStatus.CLOSED


def test_deadline_during_ramadan_is_exact_in_casablanca_time():
    """Morocco is UTC+0 during Ramadan 2026 (15 Feb - 22 Mar) and UTC+1 around it: the deadline must not drift."""
    program = ProgramFactory.create(time_zone=CASABLANCA, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    deadline = datetime(2026, 3, 1, 18, 0, tzinfo=CASABLANCA)  # 18:00 local is 18:00 UTC during Ramadan
    phase = PhaseFactory.create(
        program=program, starts_at=datetime(2026, 2, 1, 9, 0, tzinfo=CASABLANCA), ends_at=deadline
    )
    phase.refresh_from_db()

    utc = ZoneInfo("UTC")
    assert phase.ends_at.astimezone(utc) == datetime(2026, 3, 1, 18, 0, tzinfo=utc)
    assert phase.status(datetime(2026, 3, 1, 17, 59, 59, tzinfo=utc)) == PhaseStatus.OPEN
    assert phase.status(datetime(2026, 3, 1, 18, 0, 0, tzinfo=utc)) == PhaseStatus.CLOSED
    # Before Ramadan the same wall-clock time is an hour earlier in UTC.
    assert phase.starts_at.astimezone(utc) == datetime(2026, 2, 1, 8, 0, tzinfo=utc)
    assert phase.status(datetime(2026, 2, 1, 7, 59, 59, tzinfo=utc)) == PhaseStatus.UPCOMING
    assert phase.status(datetime(2026, 2, 1, 8, 0, 0, tzinfo=utc)) == PhaseStatus.OPEN


def test_phase_spanning_the_end_of_ramadan_keeps_its_wall_clock_times():
    """Clocks go from 02:00 to 03:00 on 22 March 2026: a phase across it is 23 hours shorter than 24-hour days."""
    start = datetime(2026, 3, 21, 12, 0, tzinfo=CASABLANCA)  # UTC+0
    end = datetime(2026, 3, 22, 12, 0, tzinfo=CASABLANCA)  # UTC+1
    edition = ProgramFactory.create(starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    phase = PhaseFactory.create(program=edition, starts_at=start, ends_at=end)
    phase.refresh_from_db()
    assert phase.ends_at - phase.starts_at == timedelta(hours=23)
    assert phase.ends_at.astimezone(CASABLANCA).hour == 12
    assert phase.status(end - SECOND) == PhaseStatus.OPEN
    assert phase.status(end) == PhaseStatus.CLOSED


def test_current_phase_is_the_open_one():
    program = ProgramFactory.create()
    first = PhaseFactory.create(program=program, order=0)
    second = PhaseFactory.create(program=program, order=1)
    program = type(program).objects.with_phases().get(pk=program.pk)
    assert program.current_phase(first.starts_at) == first
    assert program.current_phase(second.starts_at) == second
    assert program.current_phase(first.starts_at - SECOND) is None
    assert program.next_phase(first.starts_at - SECOND) == first
    assert program.current_phase(second.ends_at) is None


def test_overlapping_phases_are_refused_by_validation_with_a_clear_message():
    existing = PhaseFactory.create(order=0)
    overlapping = Phase(
        program=existing.program,
        order=1,
        kind="selection",
        title="Selection",
        starts_at=existing.ends_at - timedelta(hours=1),
        ends_at=existing.ends_at + timedelta(days=10),
    )
    with translation.override("en"), pytest.raises(ValidationError, match="overlaps another phase"):
        overlapping.full_clean()


def test_overlapping_phases_are_refused_by_the_database():
    existing = PhaseFactory.create(order=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Phase.objects.create(
            program=existing.program,
            order=1,
            kind="selection",
            title="Selection",
            starts_at=existing.starts_at + timedelta(days=1),
            ends_at=existing.ends_at + timedelta(days=1),
        )


def test_back_to_back_phases_and_phases_of_other_editions_do_not_overlap():
    existing = PhaseFactory.create(order=0)
    next_phase = PhaseFactory.create(program=existing.program, order=1, starts_at=existing.ends_at)
    next_phase.full_clean()
    same_dates_elsewhere = PhaseFactory.create(starts_at=existing.starts_at, ends_at=existing.ends_at)
    same_dates_elsewhere.full_clean()


def test_a_phase_running_backwards_is_refused():
    phase = PhaseFactory.build(program=ProgramFactory.create(), order=0)
    phase.ends_at = phase.starts_at
    with pytest.raises(ValidationError) as error:
        phase.full_clean()
    assert "ends_at" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        phase.save()
