"""The Content-Security-Policy allows no inline script or style: the pages people use must not trip it."""

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import ChallengeFactory, PartnerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logged_in_page(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context()
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": live_server.url}]
    )  # fmt: skip
    return context.new_page()


def test_public_admin_and_account_pages_raise_no_csp_violation(live_server, browser):
    challenge = ChallengeFactory(owner=PartnerFactory())
    page = logged_in_page(browser, live_server, UserFactory(is_staff=True, is_superuser=True))
    violations = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and violations.append((page.url, message.text)),
    )

    for path in (
        "/",
        f"/challenges/{challenge.slug}/",
        "/admin/",
        "/admin/challenges/challenge/",
        f"/admin/challenges/challenge/{challenge.pk}/change/",
        "/admin/challenges/program/add/",
        f"/admin/challenges/program/{challenge.program.pk}/change/",
        "/admin/partners/partner/add/",
        "/admin/accounts/user/",
        "/ar/startups/new/",
        "/me/",
        "/accounts/2fa/",
        "/accounts/email/",
    ):
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
    assert violations == []
