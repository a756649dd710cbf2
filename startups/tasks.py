"""Celery entry points of startups and their experiments: thin, idempotent, calling services."""

from datacity.celery import app

from . import deliverables, partnerships


@app.task(acks_late=True, time_limit=120, soft_time_limit=100)
def deliverables_due() -> int:
    """Run every hour by beat (its schedule is seeded by a migration): the notices of deliverables due soon or
    late."""
    return deliverables.deliverables_due_notices()


@app.task(acks_late=True, time_limit=300, soft_time_limit=270)
def follow_ups_due() -> int:
    """Run daily by beat (its schedule is seeded by a migration): the follow-up questionnaires 6, 12 and 24 months
    after each edition's demo day."""
    return partnerships.follow_ups_due()
