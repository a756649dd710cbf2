"""Celery entry points of the data room: thin, idempotent, calling services."""

from datacity.celery import app

from . import access


@app.task(acks_late=True, time_limit=120, soft_time_limit=100)
def grant_term_notices() -> int:
    """Run every hour by beat (seeded by this app's migration): the notices of grants near or past their end."""
    return access.grant_term_notices()
