"""Celery entry points of startups and their experiments: thin, idempotent, calling services."""

from datacity.celery import app

from . import deliverables


@app.task(acks_late=True, time_limit=120, soft_time_limit=100)
def deliverables_due() -> int:
    """Run every hour by beat (its schedule is seeded by a migration): the notices of deliverables due soon or
    late."""
    return deliverables.deliverables_due_notices()
