"""A mail relay or a broker that is down never fails a page: the mails wait in the outbox, are retried with backoff,
and leave exactly once when the relay is back; a relay that never comes back is recorded."""

import logging
import socket
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.db.models import F
from django.utils import timezone

from datacity.audit.models import AuditEntry
from datacity.core.models import MembershipRole
from datacity.core.organisations import invitation_create
from datacity.notifications import services
from datacity.notifications.models import MailState, Notification
from partners.services import PARTNER_SPACE
from tests.factories import PartnerFactory, StartupFactory, StartupMembershipFactory, UserFactory

PASSWORD = "Casablanca-2027!"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


def closed_port() -> int:
    """A port of this machine nothing listens on (taken from the system, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def relay_down(settings):
    """Django's own SMTP backend, pointed at a port where no relay answers: every connection is refused."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2
    return settings


@pytest.fixture
def broker_down(celery_app):
    """The Celery app publishes to a Redis port where nothing listens (its connection pools rebuilt around it)."""
    original = celery_app.conf.broker_url

    def point_at(url):
        celery_app.conf.broker_url = url
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    point_at(f"redis://127.0.0.1:{closed_port()}/0")
    yield
    point_at(original)


def ask_for_every_mail(client) -> list[int]:
    """Sign-up, password reset, an invitation from a startup's members page and one from the admin: the statuses."""
    UserFactory.create(email="amina@example.org", verified_email=True)
    founder = UserFactory.create(email="founder@example.org", verified_email=True)
    startup = StartupFactory.create()
    StartupMembershipFactory.create(startup=startup, user=founder, role=MembershipRole.OWNER)
    partner = PartnerFactory.create()
    statuses = [
        client.post(
            "/en/accounts/signup/", {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD}
        ).status_code,
        client.post("/en/accounts/password/reset/", {"email": "amina@example.org"}).status_code,
    ]
    client.force_login(founder)
    statuses.append(
        client.post(
            f"/en/startups/{startup.slug}/members/",
            {"action": "invite", "email": "cofounder@example.org", "role": "member"},
        ).status_code
    )
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    statuses.append(
        client.post(
            "/admin/partners/partnerinvitation/add/",
            {"partner": partner.pk, "email": "contact@lydec.example", "role": "owner"},
        ).status_code
    )
    return statuses


EXPECTED = {
    ("account.verification", "new@example.org"),
    ("account.password_reset", "amina@example.org"),
    ("membership.invitation", "cofounder@example.org"),
    ("membership.invitation", "contact@lydec.example"),
}


@pytest.mark.django_db
def test_pages_answer_while_the_relay_is_down_and_each_mail_leaves_once_when_it_is_back(client, relay_down):
    client.raise_request_exception = False  # a server error shows as a 500 below rather than as an exception

    assert ask_for_every_mail(client) == [302, 302, 302, 302]
    assert set(Notification.objects.values_list("kind", "email")) == EXPECTED

    before = timezone.now()
    assert services.dispatch_pending(seconds=10) == (0, False)

    assert mail.outbox == []
    for row in Notification.objects.all():
        assert (row.mail_state, row.attempts) == (MailState.PENDING, 1), row
        assert "ConnectionRefusedError" in row.last_error
        # The first retry comes after 15 to 30 s (backoff with jitter), not at once.
        assert before + timedelta(seconds=15) <= row.next_attempt_at <= timezone.now() + timedelta(seconds=30)

    relay_down.EMAIL_BACKEND = LOCMEM  # the relay is back
    assert services.dispatch_pending(seconds=10) == (0, False)  # the retry time has not come yet
    assert mail.outbox == []

    # Half a minute later: the minute sweep sees every row due again, and the dispatcher sends them.
    Notification.objects.update(next_attempt_at=F("next_attempt_at") - timedelta(seconds=31))
    assert services.sweep() == 4
    assert services.dispatch_pending(seconds=10) == (4, False)
    assert services.dispatch_pending(seconds=10) == (0, False)  # nothing is sent twice

    sent = Counter((tuple(message.to), message.subject) for message in mail.outbox)
    assert len(sent) == 4
    assert set(sent.values()) == {1}
    assert {to for (to,), _subject in sent} == {email for _kind, email in EXPECTED}
    assert set(Notification.objects.values_list("mail_state", flat=True)) == {MailState.SENT}
    # Each of these mails held a one-time link: once sent, the outbox keeps no copy of it.
    assert set(Notification.objects.values_list("body_text", flat=True)) == {""}


@pytest.mark.django_db
def test_a_relay_that_never_comes_back_is_given_up_on_record(settings):
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingBackend"
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_RETRY_BASE_SECONDS = settings.NOTIFICATION_RETRY_MAX_SECONDS = 0  # every retry due at once
    partner = PartnerFactory.create()
    invitation_create(
        space=PARTNER_SPACE, organisation=partner, email="contact@lydec.example", role="owner", actor=None
    )

    assert services.dispatch_pending(seconds=10) == (0, False)

    row = Notification.objects.get()
    assert (row.mail_state, row.attempts) == (MailState.FAILED, 3)
    assert row.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    entry = AuditEntry.objects.get(action="notification.failed")
    assert entry.details["kind"] == "membership.invitation"
    assert "SMTPServerDisconnected" in entry.details["error"]
    settings.EMAIL_BACKEND = LOCMEM
    assert services.dispatch_pending(seconds=10) == (0, False)  # a failed mail is not retried by itself
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_broker_that_is_down_is_logged_and_the_page_still_answers(
    client, broker_down, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.WARNING, logger="datacity.notifications.services"):
        services.enqueue_dispatch()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(
                "/en/accounts/signup/", {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD}
            )

    assert response.status_code == 302
    assert callbacks  # the dispatch was asked for after commit, and its failure did not reach the page
    warnings = [record for record in caplog.records if "Could not enqueue" in record.getMessage()]
    assert len(warnings) >= 2
    # The mail waits for the minute sweep, which enqueues a dispatch once the broker is back.
    assert Notification.objects.get().mail_state == MailState.PENDING


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_verification_mail_of_a_sign_up_once(client, celery_worker):
    response = client.post(
        "/en/accounts/signup/", {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302

    deadline = time.monotonic() + 30
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.1)
    row = Notification.objects.get()
    while row.mail_state != MailState.SENT and time.monotonic() < deadline:
        time.sleep(0.1)
        row.refresh_from_db()

    assert [message.to for message in mail.outbox] == [["new@example.org"]]
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    assert (row.kind, row.mail_state, row.attempts) == ("account.verification", MailState.SENT, 0)
