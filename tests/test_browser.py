"""Real-browser walk (Playwright driving Debian's chromium against live_server)."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import ChallengeFactory, ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_switches_to_arabic_and_opens_a_challenge(live_server, page):
    program = ProgramFactory.create(name_fr="DataCity Casablanca", name_ar="داتا سيتي الدار البيضاء")
    ChallengeFactory.create(
        program=program,
        slug="tram",
        title_fr="Fluidifier le tramway",
        title_ar="تحسين انسيابية الترام",
        problem_statement_fr="Des stations saturent.",
        problem_statement_ar="بعض المحطات مكتظة.",
        is_featured=True,
    )

    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("heading", name="DataCity Casablanca")).to_be_visible()

    # The header links to the same page in each other language; the Arabic one comes back right-to-left.
    page.locator('nav.language-links a[hreflang="ar"]').click()
    expect(page).to_have_url(re.compile(r"/ar/$"))
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    header_box = page.locator(".brand").bounding_box()
    assert header_box["x"] > page.viewport_size["width"] / 2, "the brand should sit on the right in RTL"

    page.get_by_role("navigation", name=re.compile(".+")).get_by_role("link", name="التحديات").click()
    expect(page).to_have_url(re.compile(r"/ar/challenges/$"))
    page.get_by_role("link", name="تحسين انسيابية الترام").click()

    expect(page).to_have_url(re.compile(r"/ar/challenges/tram/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("تحسين انسيابية الترام")
    expect(page.get_by_text("بعض المحطات مكتظة.")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
