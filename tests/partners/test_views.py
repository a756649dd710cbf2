"""Public partner pages: content, hidden partners, query counts."""

import pytest

from challenges.models import ChallengeStatus
from tests.factories import ChallengeFactory, DatasetFactory, PartnerFactory, ProgramFactory, SelectionFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


def test_partner_list_shows_public_partners(client):
    PartnerFactory(name="Lydec", kind="company")
    PartnerFactory(name="City of Casablanca", kind="city")
    PartnerFactory(name="Not announced yet", is_public=False)
    html = client.get("/en/partners/").content.decode()
    assert "Lydec" in html
    assert "City of Casablanca" in html
    assert "Not announced yet" not in html
    assert "Company" in html


def test_partner_list_query_count_is_constant(client):
    def grow(n):
        from partners.models import Partner

        while Partner.objects.count() < n:
            PartnerFactory()

    assert_constant_queries(client, "/partners/", grow, at_most=3)


def test_partner_detail_shows_what_the_partner_brings(client):
    lydec = PartnerFactory(slug="lydec", name="Lydec", description="Water and electricity.")
    ChallengeFactory(owner=lydec, title="Cutting water losses")
    ChallengeFactory(co_sponsors=[lydec], title="Leaner lighting")
    ChallengeFactory(owner=lydec, title="A draft", status=ChallengeStatus.DRAFT)
    DatasetFactory(owner=lydec, title="Street lights")
    DatasetFactory(owner=lydec, title="Meter readings", access_level="restricted")
    SelectionFactory(sponsor=lydec, startup__name="AquaSense")
    SelectionFactory(sponsor=lydec, startup__name="Hidden edition startup", program=ProgramFactory(is_published=False))

    html = client.get("/partners/lydec/").content.decode()
    for text in (
        "Lydec",
        "Water and electricity.",
        "Cutting water losses",
        "Leaner lighting",
        "Street lights",
        "AquaSense",
    ):
        assert text in html
    for text in ("A draft", "Meter readings", "Hidden edition startup"):
        assert text not in html


def test_hidden_partner_is_not_found(client):
    PartnerFactory(slug="secret", is_public=False)
    assert client.get("/partners/secret/").status_code == 404


def test_partner_detail_query_count_is_constant(client):
    partner = PartnerFactory(slug="busy")

    def grow(n):
        while partner.owned_challenges.count() < n:
            ChallengeFactory(owner=partner)
            ChallengeFactory(co_sponsors=[partner])
            DatasetFactory(owner=partner)
            SelectionFactory(sponsor=partner)

    assert_constant_queries(client, "/partners/busy/", grow, at_most=6)
