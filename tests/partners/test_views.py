"""Public partner pages: content, hidden partners, query counts."""

import pytest

from challenges.models import ChallengeStatus
from tests.factories import ChallengeFactory, DatasetFactory, PartnerFactory, ProgramFactory, SelectionFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


def test_partner_list_shows_public_partners(client):
    PartnerFactory.create(name="Lydec", kind="company")
    PartnerFactory.create(name="City of Casablanca", kind="city")
    PartnerFactory.create(name="Not announced yet", is_public=False)
    html = client.get("/en/partners/").content.decode()
    assert "Lydec" in html
    assert "City of Casablanca" in html
    assert "Not announced yet" not in html
    assert "Company" in html


def test_partner_list_query_count_is_constant(client):
    def grow(n):
        from partners.models import Partner

        while Partner.objects.count() < n:
            PartnerFactory.create()

    assert_constant_queries(client, "/partners/", grow, at_most=3)


def test_partner_detail_shows_what_the_partner_brings(client):
    lydec = PartnerFactory.create(slug="lydec", name="Lydec", description="Water and electricity.")
    ChallengeFactory.create(owner=lydec, title="Cutting water losses")
    ChallengeFactory.create(co_sponsors=[lydec], title="Leaner lighting")
    ChallengeFactory.create(owner=lydec, title="A draft", status=ChallengeStatus.DRAFT)
    DatasetFactory.create(owner=lydec, title="Street lights")
    DatasetFactory.create(owner=lydec, title="Meter readings", access_level="restricted")
    SelectionFactory.create(sponsor=lydec, startup__name="AquaSense")
    SelectionFactory.create(
        sponsor=lydec, startup__name="Hidden edition startup", program=ProgramFactory.create(is_published=False)
    )

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
    PartnerFactory.create(slug="secret", is_public=False)
    assert client.get("/partners/secret/").status_code == 404


def test_partner_detail_query_count_is_constant(client):
    partner = PartnerFactory.create(slug="busy")

    def grow(n):
        while partner.owned_challenges.count() < n:
            ChallengeFactory.create(owner=partner)
            ChallengeFactory.create(co_sponsors=[partner])
            DatasetFactory.create(owner=partner)
            SelectionFactory.create(sponsor=partner)

    assert_constant_queries(client, "/partners/busy/", grow, at_most=6)
