"""Celery entry points of the outbox: thin and idempotent (a row is sent once whoever runs them)."""

from datacity.celery import app

from . import services


@app.task(acks_late=True, time_limit=120, soft_time_limit=100)
def dispatch() -> int:
    """Send due mails for about NOTIFICATION_DISPATCH_SECONDS, then hand over to a fresh task if some are left."""
    sent, more = services.dispatch_pending()
    if more:
        services.enqueue_dispatch()
    return sent


@app.task(acks_late=True, time_limit=60, soft_time_limit=50)
def sweep() -> int:
    """Every minute (beat): re-enqueue a dispatch for rows a lost message or a retry left pending."""
    return services.sweep()


@app.task(acks_late=True, time_limit=600, soft_time_limit=540)
def send_digests() -> int:
    """Once a day (beat): one digest mail per person with notices waiting for it."""
    return services.send_digests()
