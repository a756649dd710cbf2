"""The clock's records: transitions numbered per phase (so a reopened phase can close again), each with the
instant its dates give; the reminder moments dealt with; each edition's reminder delays."""

import django.utils.timezone
from django.db import migrations, models

import challenges.models

NUMBER_EXISTING = """
UPDATE challenges_phasetransition AS t SET sequence = n.sequence, at = n.at
FROM (
    SELECT t.id,
           row_number() OVER (PARTITION BY t.phase_id ORDER BY t.recorded_at, t.status = 'closed', t.id) AS sequence,
           CASE WHEN t.status = 'closed' THEN p.ends_at ELSE p.starts_at END AS at
    FROM challenges_phasetransition t JOIN challenges_phase p ON p.id = t.phase_id
) AS n
WHERE n.id = t.id
"""


class Migration(migrations.Migration):
    dependencies = [("challenges", "0005_phase_within_edition_without_database_time_zones")]

    operations = [
        migrations.RemoveConstraint(model_name="phasetransition", name="challenges_transition_once"),
        migrations.AddField(
            model_name="phasetransition",
            name="sequence",
            field=models.PositiveIntegerField(null=True, verbose_name="sequence"),
        ),
        migrations.AddField(
            model_name="phasetransition", name="at", field=models.DateTimeField(null=True, verbose_name="at")
        ),
        migrations.RunSQL(NUMBER_EXISTING, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="phasetransition",
            name="sequence",
            field=models.PositiveIntegerField(verbose_name="sequence"),
        ),
        migrations.AlterField(model_name="phasetransition", name="at", field=models.DateTimeField(verbose_name="at")),
        migrations.AlterField(
            model_name="phasetransition",
            name="status",
            field=models.CharField(
                choices=[("upcoming", "Upcoming"), ("open", "Open"), ("closed", "Closed")],
                max_length=16,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="phasetransition",
            name="recorded_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="recorded at"),
        ),
        migrations.AlterModelOptions(
            name="phasetransition",
            options={
                "ordering": ["at", "sequence"],
                "verbose_name": "phase transition",
                "verbose_name_plural": "phase transitions",
            },
        ),
        migrations.AddConstraint(
            model_name="phasetransition",
            constraint=models.UniqueConstraint(fields=("phase", "sequence"), name="challenges_transition_once"),
        ),
        migrations.AddField(
            model_name="program",
            name="reminder_offsets",
            field=models.CharField(
                default="7d 1d 2h",
                help_text='When people are reminded before a phase ends, e.g. "7d 1d 2h" (days are calendar days in '
                "the edition's time zone, hours and minutes are exact durations).",
                max_length=100,
                validators=[challenges.models.validate_offsets],
                verbose_name="reminders before a deadline",
            ),
        ),
        migrations.AddField(
            model_name="program",
            name="late_reminders",
            field=models.CharField(
                choices=[("send", "Send them late, once"), ("skip", "Skip them")],
                default="send",
                max_length=8,
                verbose_name="reminders missed while the platform was down",
            ),
        ),
        migrations.CreateModel(
            name="ReminderRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("reminder", models.CharField(max_length=64)),
                ("offset", models.CharField(max_length=8)),
                ("deadline", models.DateTimeField()),
                ("due_at", models.DateTimeField()),
                ("recorded_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("recipients", models.PositiveIntegerField(default=0)),
                ("skipped", models.BooleanField(default=False)),
                (
                    "phase",
                    models.ForeignKey(
                        on_delete=models.deletion.CASCADE, related_name="reminder_runs", to="challenges.phase"
                    ),
                ),
            ],
            options={"verbose_name": "reminder sent", "verbose_name_plural": "reminders sent", "ordering": ["due_at"]},
        ),
        migrations.AddConstraint(
            model_name="reminderrun",
            constraint=models.UniqueConstraint(
                fields=("phase", "reminder", "offset", "deadline"), name="challenges_reminder_once"
            ),
        ),
    ]
