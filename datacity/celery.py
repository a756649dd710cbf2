"""The Celery application: configured from Django settings (CELERY_*), tasks discovered in each app's tasks.py."""

import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datacity.settings.dev")

app = Celery("datacity")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect(dispatch_uid="datacity_logging")
def use_django_logging(**kwargs: Any) -> None:
    """Workers and beat log through Django's LOGGING, which Django applies as it starts (here, or when Celery's
    Django fix-up starts it): lines carry the task id as request id, failed tasks are mailed to ADMINS. Without a
    receiver, Celery would replace the root logger's handlers with its own."""
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
