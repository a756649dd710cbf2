"""A founder applies in two visits, a draft first, then submits it with a file, sees the confirmation, edits it;
another startup's member cannot open it (real browser)."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from startups.models import Application, ApplicationStatus, EligibilityCondition, Question, QuestionKind
from tests.factories import (
    ChallengeFactory,
    ProgramFactory,
    StartupMembershipFactory,
    open_call,
)
from tests.utils import send_outbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-strong-test-password"  # UserFactory's
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def log_in(page, live_server, user) -> None:
    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    page.goto(f"{live_server.url}/en/accounts/login/")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/en/me/$"))


def test_a_founder_drafts_then_submits_with_a_file_and_edits_and_nobody_else_opens_it(
    live_server, browser, tmp_path, celery_worker
):
    program = ProgramFactory.create(is_published=True)
    open_call(program, left=timedelta(hours=5))  # within a day: the pages warn
    challenge = ChallengeFactory.create(program=program, title="Cooler streets")
    traction = Question.objects.create(program=program, label="Traction so far", required=True, order=1)
    Question.objects.create(program=program, label="Pitch deck", kind=QuestionKind.FILE, required=True, order=2)
    EligibilityCondition.objects.create(program=program, statement="Registered in Morocco")
    founder = StartupMembershipFactory.create()
    outsider = StartupMembershipFactory.create()
    deck = tmp_path / "pitch deck.pdf"
    deck.write_bytes(PDF)

    # First visit: from the challenge's page, eligibility, then a draft.
    page = browser.new_context(locale="en-GB", timezone_id="Europe/Paris").new_page()
    log_in(page, live_server, founder.user)
    page.goto(f"{live_server.url}/en{challenge.get_absolute_url()}")
    page.get_by_role("link", name="Apply to this challenge").click()
    page.get_by_role("group", name="Registered in Morocco").get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".deadline-banner")).to_contain_text("Less than a day left")
    # The deadline, shown in the edition's zone by the server, is rewritten into the visitor's (Paris) by the script.
    expect(page.locator(".deadline-date time")).not_to_have_text(re.compile("Casablanca"))
    page.get_by_label("Proposed solution").fill("Shade sails on the tram stops, measured by sensors.")
    page.get_by_role("button", name="Save draft").click()
    application = Application.objects.get(startup=founder.startup)
    assert application.status == ApplicationStatus.DRAFT
    page.close()

    # Second visit: the draft is there; submitting without the rest says what is missing and keeps the text.
    page = browser.new_context(locale="en-GB").new_page()
    log_in(page, live_server, founder.user)
    page.goto(f"{live_server.url}/en/startups/applications/{application.pk}/edit/")
    expect(page.get_by_label("Proposed solution")).to_have_value("Shade sails on the tram stops, measured by sensors.")
    page.get_by_label("Use of the partners' data and sites").fill("Temperature readings at the stops.")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".field-error").first).to_be_visible()
    expect(page.get_by_label("Use of the partners' data and sites")).to_have_value("Temperature readings at the stops.")
    page.locator("#id_team").fill("Two engineers and a designer.")
    page.get_by_label("Prototype").check()
    page.get_by_label("Traction so far").fill("Three pilot stops")
    page.get_by_label("Choose files").set_input_files(str(deck))
    page.get_by_role("button", name="Submit").click()

    expect(page).to_have_url(re.compile(rf"/en/startups/applications/{application.pk}/$"))
    expect(page.get_by_role("link", name="pitch deck.pdf")).to_be_visible()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.versions.count() == 1
    confirmations = send_outbox()
    assert [message.to for message in confirmations] == [[founder.user.email]]

    # Editing after submission makes a second version; the file stays.
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Traction so far").fill("Five pilot stops")
    page.get_by_role("button", name="Submit the changes").click()
    expect(page.get_by_text("Five pilot stops")).to_be_visible()
    expect(page.get_by_role("link", name="pitch deck.pdf")).to_be_visible()
    assert application.versions.count() == 2
    assert application.answers.get(question=traction).value == "Five pilot stops"

    # Another startup's member: not found, for the page, the form and the file.
    other = browser.new_context(locale="en-GB").new_page()
    log_in(other, live_server, outsider.user)
    attachment = application.attachments.get()
    for path in (
        f"/en/startups/applications/{application.pk}/",
        f"/en/startups/applications/{application.pk}/edit/",
        f"/en/startups/applications/{application.pk}/files/{attachment.pk}/",
    ):
        response = other.request.get(live_server.url + path)
        assert response.status == 404, path
