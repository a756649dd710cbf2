"""Seed the daily run of the follow-up questionnaires (6, 12 and 24 months after an edition's demo day) once; from
then on the schedule belongs to staff (admin, Periodic tasks)."""

from django.db import migrations
from django.utils import timezone

NAME = "experiment-follow-ups"


def seed(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    day = IntervalSchedule.objects.get_or_create(every=1, period="days")[0]
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "startups.tasks.follow_ups_due",
            "interval": day,
            "description": "Send each selected startup its follow-up questionnaire when due (catching up).",
        },
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("startups", "0012_results_and_follow_up"),
        ("notifications", "0002_seed_beat_schedule"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
