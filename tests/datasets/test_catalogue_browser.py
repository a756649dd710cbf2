"""The schema.org JSON-LD block of a dataset page is data, not script: the browser runs nothing and reports no
Content-Security-Policy violation for it (the policy allows no inline script)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage

from datasets.models import AccessLevel
from tests.factories import DatasetFactory, PartnerMembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dataset_pages_and_the_catalogue_raise_no_csp_violation(live_server, page):
    DatasetFactory.create(slug="tram", description="</script><script>window.ran = true</script>")
    DatasetFactory.create(slug="water", access_level=AccessLevel.RESTRICTED)
    messages: list[str] = []

    def record(message: ConsoleMessage) -> None:
        messages.append(message.text)

    page.on("console", record)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.log('CSP violation ' + e.violatedDirective))"
    )
    pages = {"/datasets/": 0, "/datasets/tram/": 1, "/ar/datasets/water/": 1, "/en/datasets/?q=tram": 0}
    for path, json_ld_blocks in pages.items():
        response = page.goto(live_server.url + path)
        assert response is not None
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        assert page.locator('script[type="application/ld+json"]').count() == json_ld_blocks, path
    page.goto(live_server.url + "/datasets/tram/")
    assert page.evaluate("window.ran") is None
    assert [text for text in messages if "Content Security Policy" in text or "CSP violation" in text] == []
    # The control: a real inline script on the same page is refused and reported.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1'; "
        "document.body.append(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.ran") is None
    assert any("CSP violation script-src" in text for text in messages), messages


def test_the_catalogue_pages_have_no_accessibility_violation(live_server, page_logged_in_as):
    membership = PartnerMembershipFactory.create(partner__slug="lydec")
    DatasetFactory.create(slug="meters", owner=membership.partner, themes=["ENVI"], keywords_fr="eau, compteurs")
    page = page_logged_in_as(membership.user)
    axe, problems = Axe(), []
    for path in (
        "/datasets/",
        "/ar/datasets/?q=eau",
        "/datasets/meters/",
        "/ar/datasets/meters/",
        "/datasets/new/lydec/",
        "/ar/datasets/meters/edit/",
    ):
        page.goto(live_server.url + path)
        for violation in axe.run(page).response["violations"]:
            targets = [node["target"] for node in violation["nodes"]][:3]
            problems.append(f"{path}: {violation['id']}: {violation['help']} {targets}")
    assert problems == [], "\n".join(problems)
