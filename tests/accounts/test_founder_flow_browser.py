"""A founder signs up, verifies the email, creates the startup, invites a co-founder, who accepts (real browser)."""

import re

import pytest
from playwright.sync_api import expect

from startups.models import StartupMembership
from tests.utils import send_outbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://[^/\s]+(/\S+/)")


def last_link(live_server, containing: str) -> str:
    message = send_outbox()[-1]
    links = [link for link in LINK.findall(str(message.body)) if containing in link]
    assert links, message.body
    return live_server.url + links[0]


def sign_up_and_verify(page, live_server, email: str, password: str) -> None:
    page.locator("#id_email").fill(email)
    page.locator("#id_password1").fill(password)
    page.locator("#id_password2").fill(password)
    page.get_by_role("button", name="Sign Up").click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    assert send_outbox()[-1].to == [email]
    page.goto(last_link(live_server, "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()


def test_founder_signs_up_creates_the_startup_and_a_co_founder_joins(live_server, browser):
    founder = browser.new_page()
    founder.goto(live_server.url + "/en/accounts/signup/")
    sign_up_and_verify(founder, live_server, "founder@example.org", "Casablanca-2027!")
    expect(founder).to_have_url(re.compile(r"/en/me/$"))

    founder.get_by_role("link", name="Create your startup").click()
    founder.locator("#id_name").fill("Kezakoo")
    founder.locator("#id_pitch_fr").fill("Des supports de formation pour les applicateurs du bâtiment.")
    founder.locator("#id_sector").select_option("education")
    founder.get_by_role("button", name="Create the startup").click()
    # The founder lands on the startup's profile, told who can see it, and goes on to invite a co-founder.
    expect(founder.get_by_role("heading", level=1)).to_have_text("Kezakoo")
    expect(founder.get_by_text("Only your startup's members can see this page.")).to_be_visible()
    founder.get_by_role("link", name="Members", exact=True).click()
    expect(founder.get_by_role("heading", level=1)).to_have_text("Members of Kezakoo")

    founder.locator("#id_email").fill("cofounder@example.org")
    founder.get_by_role("button", name="Send the invitation").click()
    expect(founder.get_by_text("Invitation sent to cofounder@example.org.")).to_be_visible()
    invitation = last_link(live_server, "/startups/invitations/")
    founder.close()

    cofounder = browser.new_context().new_page()
    cofounder.goto(invitation)
    expect(cofounder.get_by_text("You are invited to join")).to_be_visible()
    cofounder.get_by_role("link", name="Create an account").click()
    sign_up_and_verify(cofounder, live_server, "cofounder@example.org", "Rabat-Casa-2027!")
    # allauth keeps the page asked for through sign-up and verification: back on the invitation, now logged in.
    expect(cofounder).to_have_url(invitation)
    cofounder.get_by_role("button", name="Accept the invitation").click()

    expect(cofounder).to_have_url(re.compile(r"/me/$"))
    expect(cofounder.get_by_role("heading", name="Kezakoo")).to_be_visible()
    assert StartupMembership.objects.filter(user__email="cofounder@example.org", startup__name="Kezakoo").exists()
