"""Mails name the platform and link to its public address, whatever host the request came to; an invitation's
sign-up link pre-fills the invited address."""

import re

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from challenges.services import JURY_SPACE
from datacity.core.organisations import invitation_create
from tests.factories import ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db


@override_settings(SITE_URL="https://datacity.casablanca.example", SITE_NAME="DataCity Casablanca")
def test_the_verification_mail_names_the_platform_and_links_to_its_address(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "founder@example.org", "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1"},
        HTTP_HOST="127.0.0.1",
    )

    assert response.status_code == 302
    message = mail.outbox[-1]
    assert "DataCity Casablanca" in message.body
    assert "127.0.0.1" not in message.body
    links = re.findall(r"https?://\S+", str(message.body))
    assert links
    assert all(link.startswith("https://datacity.casablanca.example/") for link in links)


@override_settings(SITE_URL="https://datacity.casablanca.example", SITE_NAME="DataCity Casablanca")
def test_the_password_reset_mail_links_to_the_platform_address(client):
    UserFactory.create(email="member@example.org", verified_email=True)

    client.post(reverse("account_reset_password"), {"email": "member@example.org"}, HTTP_HOST="127.0.0.1")

    links = re.findall(r"https?://\S+", str(mail.outbox[-1].body))
    assert links
    assert all(link.startswith("https://datacity.casablanca.example/") for link in links)


@override_settings(SITE_URL="https://datacity.casablanca.example", SITE_NAME="DataCity Casablanca")
def test_an_invitation_mail_names_the_platform(django_capture_on_commit_callbacks):
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            space=JURY_SPACE, organisation=ProgramFactory.create(), email="juror@example.org", role="member", actor=None
        )
    message = mail.outbox[-1]
    assert message.subject.startswith("[DataCity Casablanca]")
    assert "jury" in message.subject
    assert "https://datacity.casablanca.example/" in message.body


def test_the_sign_up_link_of_an_invitation_pre_fills_the_invited_address(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _, token = invitation_create(
            space=JURY_SPACE, organisation=ProgramFactory.create(), email="juror@example.org", role="member", actor=None
        )
    page = client.get(reverse("challenges:jury_invitation_accept", args=[token])).content.decode()
    link = re.search(r'href="([^"]*/accounts/signup/\?[^"]*email=[^"]*)"', page)
    assert link is not None
    signup = link.group(1).replace("&amp;", "&")

    form = client.get(signup).context["form"]

    assert form.initial["email"] == "juror@example.org"
