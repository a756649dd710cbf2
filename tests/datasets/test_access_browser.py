"""The walk through the data room in a real browser: a selected startup's member asks for a restricted dataset, the
partner approves, the member accepts the data-use agreement and downloads the file; the pages pass axe."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.files.base import ContentFile

from datasets import access
from datasets.models import AccessGrant, AccessLevel, AccessRequest, AgreementAcceptance, Distribution, DownloadLog
from tests.factories import DatasetFactory, PartnerMembershipFactory, SelectionFactory, StartupMembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = b"sector,volume_m3\nAin Sebaa,1200\n"


def no_violations(page) -> list[str]:
    return [f"{page.url}: {violation['id']}" for violation in Axe().run(page).response["violations"]]


def test_request_approve_accept_and_download(live_server, page_logged_in_as):
    owner = PartnerMembershipFactory.create(partner__slug="lydec")
    dataset = DatasetFactory.create(slug="water", owner=owner.partner, access_level=AccessLevel.RESTRICTED)
    distribution = Distribution(dataset=dataset, version=1, name="water.csv", format="CSV", media_type="text/csv")
    distribution.size, distribution.sha256 = len(CONTENT), "0" * 64
    distribution.file.save("water.csv", ContentFile(CONTENT), save=False)
    distribution.save()
    access.agreement_publish(dataset=dataset, text="Use the data only for the program.", actor=owner.user)
    member = StartupMembershipFactory.create()
    SelectionFactory.create(startup=member.startup)
    problems: list[str] = []

    page = page_logged_in_as(member.user)
    page.goto(live_server.url + "/ar/datasets/water/request-access/")
    problems += no_violations(page)
    page.locator("textarea[name=purpose]").fill("Find the sectors that lose the most water.")
    page.get_by_test_id("send-request").click()
    page.wait_for_load_state()
    request = AccessRequest.objects.get()
    assert request.status == "requested"

    partner_page = page_logged_in_as(owner.user)
    partner_page.goto(live_server.url + "/ar/datasets/requests/lydec/")
    problems += no_violations(partner_page)
    partner_page.get_by_test_id(f"approve-{request.pk}").click()
    partner_page.wait_for_load_state()
    grant = AccessGrant.objects.get()
    assert partner_page.locator(f"[data-grant='{grant.pk}']").count() == 1

    page.goto(live_server.url + "/en/datasets/water/files/1/download/")
    assert "/datasets/water/agreement/" in page.url
    problems += no_violations(page)
    with page.expect_download() as download_info:
        page.get_by_test_id("accept-agreement").click()
    download = download_info.value
    assert download.suggested_filename == "water.csv"
    with open(download.path(), "rb") as saved:
        assert saved.read() == CONTENT
    assert AgreementAcceptance.objects.filter(user=member.user).count() == 1
    assert DownloadLog.objects.filter(user=member.user, grant=grant, startup=member.startup).count() == 1

    partner_page.goto(live_server.url + "/ar/datasets/downloads/lydec/")
    assert partner_page.locator("[data-download]").count() == 1
    problems += no_violations(partner_page)
    assert problems == []
