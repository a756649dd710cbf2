"""An invited juror goes from the mail link to My space: login, acceptance, password prompt, authenticator app,
recovery codes; each step says why it comes, and none is a dead end (real browser)."""

import re
from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from challenges.models import JuryMembership, PhaseKind
from challenges.services import JURY_SPACE
from datacity.core.organisations import invitation_create
from tests.factories import (
    ChallengeFactory,
    DatasetFactory,
    PartnerMembershipFactory,
    PhaseFactory,
    ProgramFactory,
    UserFactory,
)
from tests.utils import group_in_mail, send_outbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-strong-test-password"  # UserFactory's
INVITATION_PATH = re.compile(r"https?://[^/\s]+(/\S*/invitations/\S+/)")


def test_an_invited_juror_walks_from_the_mail_to_my_space(live_server, browser):
    today = timezone.localdate()
    program = ProgramFactory.create(
        name="DataCity Casablanca 2027",
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=200),
    )
    now = timezone.now()
    PhaseFactory.create(
        program=program,
        order=2,
        kind=PhaseKind.SELECTION,
        starts_at=now + timedelta(days=20),
        ends_at=now + timedelta(days=40),
    )
    juror = UserFactory.create(email="juror@example.org", verified_email=True)
    invitation_create(
        space=JURY_SPACE,
        organisation=program,
        email=juror.email,
        role="member",
        actor=UserFactory.create(is_staff=True),
    )
    message = send_outbox()[-1]
    assert message.to == [juror.email]
    path = group_in_mail(INVITATION_PATH, message)

    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/en{path}")
    expect(page.get_by_text("You are invited to join")).to_be_visible()
    page.locator("#content").get_by_role("link", name="Log in").click()
    page.locator("#id_login").fill(juror.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    # Back on the invitation, logged in.
    page.get_by_role("button", name="Accept the invitation").click()

    # Jurors must use two-factor authentication: allauth first asks for the password again, and says why.
    expect(page.get_by_text("enter your password again to confirm that it is really you")).to_be_visible()
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Activate Authenticator App")
    expect(page.get_by_text("Staff and jury accounts reach confidential applications and scores")).to_be_visible()
    secret = page.locator("#authenticator_secret").input_value()
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    page.locator("#id_code").fill(code)
    page.get_by_role("button", name="Activate").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery Codes")
    expect(page.get_by_text("Keep these codes somewhere safe")).to_be_visible()
    page.get_by_role("link", name="Continue to My space").click()

    expect(page).to_have_url(re.compile(r"/en/me/$"))
    expect(page.get_by_role("heading", name="Jury assignments")).to_be_visible()
    expect(page.get_by_role("link", name="DataCity Casablanca 2027")).to_be_visible()
    expect(page.get_by_text("The selection opens on")).to_be_visible()
    assert JuryMembership.objects.filter(program=program, user=juror).exists()


def test_the_new_pages_have_no_accessibility_violation(live_server, page_logged_in_as):
    """The staff dashboard, a partner's profile form and a dataset's page, in French and in Arabic."""
    program = ProgramFactory.create(slug="casablanca-2027")
    PhaseFactory.create(program=program, order=0, kind=PhaseKind.SELECTION)
    ChallengeFactory.create(program=program, status="draft")
    owner = PartnerMembershipFactory.create(partner__slug="lydec", role="owner").user
    DatasetFactory.create(slug="meters", owner=owner.partners.get(), access_level="restricted")
    axe, problems = Axe(), []
    for user, paths in (
        (UserFactory.create(is_staff=True), ["/staff/casablanca-2027/", "/ar/staff/casablanca-2027/"]),
        (owner, ["/partners/lydec/edit/", "/ar/partners/lydec/edit/", "/datasets/meters/", "/me/"]),
    ):
        page = page_logged_in_as(user)
        for path in paths:
            page.goto(live_server.url + path)
            for violation in axe.run(page).response["violations"]:
                targets = [node["target"] for node in violation["nodes"]][:3]
                problems.append(f"{path}: {violation['id']}: {violation['help']} {targets}")
    assert problems == [], "\n".join(problems)
