"""The periodic phase tick: records each transition once, catches up, and really runs on a Celery worker."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from challenges import services, tasks
from challenges.models import PhaseStatus, PhaseTransition
from tests.factories import PhaseFactory, ProgramFactory


@pytest.mark.django_db
def test_tick_records_each_transition_once_and_catches_up():
    program = ProgramFactory.create()
    past = PhaseFactory.create(program=program, order=0)  # opened and closed while nothing ran
    current = PhaseFactory.create(program=program, order=1)
    future = PhaseFactory.create(program=program, order=2)
    now = current.starts_at + timedelta(hours=1)

    services.phase_tick(now=now)
    recorded = set(PhaseTransition.objects.values_list("phase_id", "status"))
    assert recorded == {
        (past.pk, PhaseStatus.OPEN),
        (past.pk, PhaseStatus.CLOSED),
        (current.pk, PhaseStatus.OPEN),
    }

    assert services.phase_tick(now=now) == []
    assert PhaseTransition.objects.count() == 3

    services.phase_tick(now=future.starts_at)
    assert set(PhaseTransition.objects.filter(phase=future).values_list("status", flat=True)) == {PhaseStatus.OPEN}
    assert PhaseTransition.objects.filter(phase=current, status=PhaseStatus.CLOSED).exists()


@pytest.mark.django_db(transaction=True)
def test_tick_task_runs_on_a_real_worker(celery_worker):
    phase = PhaseFactory.create(
        starts_at=timezone.now() - timedelta(minutes=5), ends_at=timezone.now() + timedelta(days=1)
    )

    tasks.phase_tick.delay()

    deadline = time.monotonic() + 20
    while not PhaseTransition.objects.filter(phase=phase).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(PhaseTransition.objects.filter(phase=phase).values_list("status", flat=True)) == [PhaseStatus.OPEN]
