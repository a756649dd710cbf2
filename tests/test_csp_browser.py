"""The Content-Security-Policy allows no inline script or style: the pages people use must not trip it."""

import pytest
from playwright.sync_api import ConsoleMessage

from tests.factories import ChallengeFactory, PartnerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_public_admin_and_account_pages_raise_no_csp_violation(live_server, page_logged_in_as):
    challenge = ChallengeFactory.create(owner=PartnerFactory.create())
    page = page_logged_in_as(UserFactory.create(is_staff=True, is_superuser=True))
    violations: list[tuple[str, str]] = []

    def record_violation(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append((page.url, message.text))

    page.on("console", record_violation)

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
