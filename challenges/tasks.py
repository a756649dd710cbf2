"""Celery entry points of the program side: thin, idempotent, calling services."""

from datacity.celery import app

from . import services


@app.task(acks_late=True, time_limit=120, soft_time_limit=100)
def phase_tick() -> int:
    """Run every minute by beat (seeded in the database by the notifications app); returns the transitions recorded."""
    return len(services.phase_tick())
