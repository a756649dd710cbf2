"""Seed the hourly run of the deliverables' due and late notices once; from then on the schedule belongs to staff
(admin, Periodic tasks), as the rest of beat's schedule does."""

from django.db import migrations
from django.utils import timezone

NAME = "experiment-deliverables-due"


def seed(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    hour = IntervalSchedule.objects.get_or_create(every=3600, period="seconds")[0]
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "startups.tasks.deliverables_due",
            "interval": hour,
            "description": "Tell startup teams that a deliverable is due soon, or late.",
        },
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("startups", "0010_experimentation"),
        ("notifications", "0002_seed_beat_schedule"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
