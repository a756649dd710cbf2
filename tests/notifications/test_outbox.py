"""The outbox's own rules: one notice per (recipient, kind, object), preferences, the daily digest, and a beat
schedule that staff's edits are not undone in."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from challenges import notices
from challenges.models import Phase
from datacity.notifications import services
from datacity.notifications.kinds import KINDS, Delivery
from datacity.notifications.models import Digest, MailState, Notification, Preference
from tests.factories import PhaseFactory, UserFactory


def phase_notice(phase: Phase, recipients, **kwargs) -> int:
    return services.notify(
        kind=notices.PHASE_RESCHEDULED,
        recipients=recipients,
        obj=phase,
        key=kwargs.pop("key", "k"),
        url=phase.program.get_absolute_url(),
        context={
            "starts_at": phase.starts_at.isoformat(),
            "ends_at": phase.ends_at.isoformat(),
            "was_starts_at": phase.starts_at.isoformat(),
            "was_ends_at": phase.ends_at.isoformat(),
            "time_zone": "Africa/Casablanca",
        },
    )


@pytest.mark.django_db
def test_one_notice_per_recipient_kind_and_object_whatever_calls_it():
    phase = PhaseFactory.create()
    people = UserFactory.create_batch(3)
    phase_notice(phase, people)
    phase_notice(phase, people)  # the same event run twice
    phase_notice(phase, people[:1], key="other dates")  # another event about the same object

    assert Notification.objects.count() == 4
    assert Notification.objects.filter(recipient=people[0]).count() == 2


@pytest.mark.django_db
def test_preferences_off_immediate_and_digest_and_security_mail_ignores_off():
    phase = PhaseFactory.create()
    now, later, off = UserFactory.create_batch(3)
    Preference.objects.create(user=later, kind=notices.PHASE_RESCHEDULED.name, delivery=Delivery.DIGEST)
    Preference.objects.create(user=off, kind=notices.PHASE_RESCHEDULED.name, delivery=Delivery.OFF)
    phase_notice(phase, [now, later, off])

    states = dict(Notification.objects.values_list("recipient", "mail_state"))
    assert states == {now.pk: MailState.PENDING, later.pk: MailState.DIGEST, off.pk: MailState.NONE}
    services.dispatch_pending(seconds=10)
    assert [message.to for message in mail.outbox] == [[now.email]]
    # Off means no mail: the notice is still in the person's notification centre.
    assert Notification.objects.for_centre(off).count() == 1

    # A mandatory kind (a security mail) is sent whatever the person chose for it.
    security = next(kind for kind in KINDS.values() if not kind.optional and kind.in_app)
    Preference.objects.create(user=off, kind=security.name, delivery=Delivery.OFF)
    message = mail.EmailMessage("Your password was changed", "It was changed.", to=[off.email])
    services.notify_mail(kind=security, message=message, recipient=off)
    services.dispatch_pending(seconds=10)
    assert mail.outbox[-1].to == [off.email]


@pytest.mark.django_db
def test_the_daily_digest_gathers_the_days_notices_in_one_mail_once():
    person = UserFactory.create(language="en")
    Preference.objects.create(user=person, kind=notices.PHASE_RESCHEDULED.name, delivery=Delivery.DIGEST)
    first, second = PhaseFactory.create_batch(2)
    phase_notice(first, [person])
    phase_notice(second, [person])
    services.dispatch_pending(seconds=10)
    assert mail.outbox == []

    assert services.send_digests() == 1
    assert services.send_digests() == 0  # once a day
    services.dispatch_pending(seconds=10)

    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == [person.email]
    assert "2 notices" in digest.subject
    # Grouped by what they are about, the newest first, each group with its link.
    assert digest.body.index(str(second.title)) < digest.body.index(str(first.title))
    assert digest.body.index(second.program.get_absolute_url()) < digest.body.index(first.program.get_absolute_url())
    assert Digest.objects.get().notifications.count() == 2
    assert not Notification.objects.filter(mail_state=MailState.DIGEST).exists()
    # A notice that arrives after the digest waits for the next day's.
    phase_notice(first, [person], key="later")
    assert services.send_digests(now=timezone.now() + timedelta(days=1)) == 1


@pytest.mark.django_db(transaction=True)  # beat's scheduler closes the connection, as it does outside tests
def test_the_beat_schedule_is_seeded_once_and_staffs_edits_survive_a_restart(celery_app):
    seed = importlib.import_module("datacity.notifications.migrations.0002_seed_beat_schedule").seed
    seed(apps, None)  # what migrate did (a transactional test's flush may have emptied the table since)
    tick = PeriodicTask.objects.get(name="phase-tick")
    assert tick.task == "challenges.tasks.phase_tick"
    assert {"notification-sweep", "notification-digest"} <= set(PeriodicTask.objects.values_list("name", flat=True))
    assert not celery_app.conf.beat_schedule  # the settings hold no second schedule to write over the database's

    tick.interval = IntervalSchedule.objects.get_or_create(every=120, period=IntervalSchedule.SECONDS)[0]
    tick.save()
    seed(apps, None)  # a later deployment's migrate, were it to run the seed again
    scheduler = DatabaseScheduler(app=celery_app)  # what `celery beat` builds when it starts

    assert PeriodicTask.objects.get(name="phase-tick").interval.every == 120
    assert scheduler.schedule["phase-tick"].schedule.run_every == timedelta(seconds=120)


@pytest.mark.django_db
def test_a_password_change_sends_a_security_notice_through_the_outbox(client):
    person = UserFactory.create(verified_email=True)
    client.force_login(person)

    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": "a-strong-test-password",
            "password1": "another-strong-pass-42",
            "password2": "another-strong-pass-42",
        },
    )

    assert response.status_code == 302
    notice = Notification.objects.get(recipient=person)
    assert (notice.kind, notice.mail_state) == ("account.security", MailState.PENDING)
    assert mail.outbox == []  # the page answered before any mail left
    services.dispatch_pending(seconds=10)
    assert [message.to for message in mail.outbox] == [[person.email]]
    assert Notification.objects.for_centre(person).count() == 1
