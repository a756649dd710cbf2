"""Seed the beat schedule once. From then on it belongs to staff (admin, Periodic tasks): a later deployment never
writes it again, so an edit is not undone at the next start."""

from django.db import migrations
from django.utils import timezone

EVERY_MINUTE = [
    ("phase-tick", "challenges.tasks.phase_tick", "Phase transitions, their notices and the reminders."),
    ("notification-sweep", "datacity.notifications.tasks.sweep", "Re-enqueue mails left pending (lost message, retry)."),
]
# The daily digest leaves at 07:00 in the platform's time zone.
DIGEST = ("notification-digest", "datacity.notifications.tasks.send_digests", "One digest mail a day per person.")


def seed(apps, schema_editor):
    from django.conf import settings

    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    minute = IntervalSchedule.objects.get_or_create(every=60, period="seconds")[0]
    for name, task, description in EVERY_MINUTE:
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "interval": minute, "description": description}
        )
    morning = CrontabSchedule.objects.get_or_create(
        minute="0", hour="7", day_of_week="*", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE
    )[0]
    name, task, description = DIGEST
    PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": morning, "description": description})
    # Tell a running beat that the schedule changed (what PeriodicTask's own save does outside migrations).
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
