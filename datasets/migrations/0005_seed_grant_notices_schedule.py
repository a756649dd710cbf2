"""Seed the hourly run of the data room's grant notices once; from then on the schedule belongs to staff (admin,
Periodic tasks), as the rest of beat's schedule does."""

from django.db import migrations
from django.utils import timezone

NAME = "dataset-grant-terms"


def seed(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    hour = IntervalSchedule.objects.get_or_create(every=3600, period="seconds")[0]
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "datasets.tasks.grant_term_notices",
            "interval": hour,
            "description": "Tell startup teams that their access to a dataset ends soon, or has ended.",
        },
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("datasets", "0004_access_grants_agreements_log"),
        ("notifications", "0002_seed_beat_schedule"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
