"""Mails name the platform and link to its public address, whatever host the request came to; an invitation's
sign-up link pre-fills the invited address; allauth's mails leave through the outbox, in the person's language."""

import re

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from challenges.services import JURY_SPACE
from datacity.accounts.models import User
from datacity.accounts.notices import kind_of_template
from datacity.core.organisations import invitation_create
from datacity.notifications.models import MailState, Notification
from tests.factories import ProgramFactory, UserFactory
from tests.utils import send_outbox

pytestmark = pytest.mark.django_db


@override_settings(SITE_URL="https://datacity.casablanca.example", SITE_NAME="DataCity Casablanca")
def test_the_verification_mail_names_the_platform_and_links_to_its_address(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "founder@example.org", "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1"},
        HTTP_HOST="127.0.0.1",
    )

    assert response.status_code == 302
    message = send_outbox()[-1]
    assert "DataCity Casablanca" in message.body
    assert "127.0.0.1" not in message.body
    links = re.findall(r"https?://\S+", str(message.body))
    assert links
    assert all(link.startswith("https://datacity.casablanca.example/") for link in links)


@override_settings(SITE_URL="https://datacity.casablanca.example", SITE_NAME="DataCity Casablanca")
def test_the_password_reset_mail_links_to_the_platform_address(client):
    UserFactory.create(email="member@example.org", verified_email=True)

    client.post(reverse("account_reset_password"), {"email": "member@example.org"}, HTTP_HOST="127.0.0.1")

    links = re.findall(r"https?://\S+", str(send_outbox()[-1].body))
    assert links
    assert all(link.startswith("https://datacity.casablanca.example/") for link in links)


@override_settings(SITE_URL="https://datacity.casablanca.example", SITE_NAME="DataCity Casablanca")
def test_an_invitation_mail_names_the_platform():
    with translation.override("fr"):
        invitation_create(
            space=JURY_SPACE, organisation=ProgramFactory.create(), email="juror@example.org", role="member", actor=None
        )
    message = send_outbox()[-1]
    assert message.subject.startswith("[DataCity Casablanca]")
    assert "jury" in message.subject
    assert "https://datacity.casablanca.example/" in message.body


def test_the_sign_up_link_of_an_invitation_pre_fills_the_invited_address(client):
    _, token = invitation_create(
        space=JURY_SPACE, organisation=ProgramFactory.create(), email="juror@example.org", role="member", actor=None
    )
    page = client.get(reverse("challenges:jury_invitation_accept", args=[token])).content.decode()
    link = re.search(r'href="([^"]*/accounts/signup/\?[^"]*email=[^"]*)"', page)
    assert link is not None
    signup = link.group(1).replace("&amp;", "&")

    form = client.get(signup).context["form"]

    assert form.initial["email"] == "juror@example.org"


# --- Through the outbox -------------------------------------------------------------------------------------------
def test_the_verification_mail_waits_in_the_outbox_for_the_new_account_and_its_link_is_not_kept(client):
    client.post(
        "/en/accounts/signup/",
        {"email": "founder@example.org", "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1"},
    )
    assert mail.outbox == []  # written with the account, sent by the dispatcher
    row = Notification.objects.get()
    assert (row.kind, row.recipient, row.email) == ("account.verification", User.objects.get(), "founder@example.org")
    assert "/accounts/confirm-email/" in row.body_text

    [message] = send_outbox()

    row.refresh_from_db()
    assert row.mail_state == MailState.SENT
    assert row.body_text == row.body_html == ""
    assert message.subject == row.subject
    assert Notification.objects.for_centre(row.recipient).count() == 0  # a link to click, not a notice to keep


def test_a_password_reset_is_the_accounts_and_an_unknown_address_gets_a_mail_to_the_address_only(client):
    amina = UserFactory.create(email="amina@example.org", verified_email=True)

    client.post("/en/accounts/password/reset/", {"email": "AMINA@example.org"})
    client.post("/en/accounts/password/reset/", {"email": "nobody@example.org"})

    rows = {row.email.lower(): row for row in Notification.objects.all()}
    assert (rows["amina@example.org"].kind, rows["amina@example.org"].recipient) == ("account.password_reset", amina)
    assert (rows["nobody@example.org"].kind, rows["nobody@example.org"].recipient) == ("account.security", None)
    assert sorted(message.to[0].lower() for message in send_outbox()) == ["amina@example.org", "nobody@example.org"]


@pytest.mark.parametrize("language", ["ar", "en", "fr"])
def test_the_account_keeps_the_language_it_signed_up_in_and_its_mail_is_written_in_it(client, language):
    prefix = "" if language == "fr" else f"/{language}"
    client.post(
        f"{prefix}/accounts/signup/",
        {"email": "founder@example.org", "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1"},
    )
    assert User.objects.get().language == language
    assert Notification.objects.get().language == language
    with translation.override(language):
        expected = translation.gettext("Please Confirm Your Email Address")
    assert expected in send_outbox()[0].subject


@pytest.mark.parametrize(
    ("template_prefix", "kind"),
    [
        ("account/email/email_confirmation_signup", "account.verification"),
        ("account/email/password_reset_key", "account.password_reset"),
        ("account/email/login_code", "account.login_code"),
        ("account/email/password_changed", "account.security"),
        ("mfa/email/totp_deactivated", "account.security"),
        ("account/email/something_new_with_a_code", "account.other"),
    ],
)
def test_each_allauth_mail_has_a_kind_and_an_unknown_one_is_sent_as_if_secret(template_prefix, kind):
    assert kind_of_template(template_prefix).name == kind
    assert not kind_of_template(template_prefix).optional
    assert kind_of_template("account/email/something_new_with_a_code").secret
