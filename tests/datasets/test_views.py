"""A dataset's page: its metadata and published challenges, open datasets for everyone, the others for the owner's
members only (404 for anyone else, audited)."""

import pytest

from challenges.models import ChallengeStatus
from datacity.audit.models import AuditEntry
from datasets.models import AccessLevel
from tests.factories import (
    ChallengeFactory,
    DatasetFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgramFactory,
    UserFactory,
)
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


def test_an_open_dataset_shows_its_metadata_and_published_challenges_to_everyone(client):
    lydec = PartnerFactory.create(name="Lydec")
    dataset = DatasetFactory.create(
        slug="water-meters",
        title="Water meter readings",
        description="Hourly readings of 2,000 meters.",
        owner=lydec,
        challenges=[
            ChallengeFactory.create(title="Cutting water losses"),
            ChallengeFactory.create(title="A draft challenge", status=ChallengeStatus.DRAFT),
            ChallengeFactory.create(title="Of a hidden edition", program=ProgramFactory.create(is_published=False)),
        ],
    )
    response = client.get("/en/datasets/water-meters/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        dataset.title,
        dataset.description,
        "Lydec",
        "Open Database License (ODbL) 1.0",
        "Public (open data)",
        "Cutting water losses",
    ):
        assert text in html
    assert "A draft challenge" not in html
    assert "Of a hidden edition" not in html


def test_a_restricted_dataset_is_for_its_owner_members_only(client):
    membership = PartnerMembershipFactory.create()
    dataset = DatasetFactory.create(slug="meters", owner=membership.partner, access_level=AccessLevel.RESTRICTED)
    assert client.get("/en/datasets/meters/").status_code == 404
    client.force_login(UserFactory.create(is_staff=True))
    assert client.get("/en/datasets/meters/").status_code == 404
    client.force_login(PartnerMembershipFactory.create().user)
    assert client.get("/en/datasets/meters/").status_code == 404
    assert AuditEntry.objects.filter(action="access.refused", object_id=str(dataset.pk)).count() == 3
    client.force_login(membership.user)
    response = client.get("/en/datasets/meters/")
    assert response.status_code == 200
    assert "only the members of its owner see this page" in response.content.decode()
    assert client.get("/en/datasets/no-such-dataset/").status_code == 404


def test_an_open_dataset_of_a_partner_not_announced_yet_stays_hidden(client):
    membership = PartnerMembershipFactory.create(partner__is_public=False)
    DatasetFactory.create(slug="early", owner=membership.partner)
    assert client.get("/en/datasets/early/").status_code == 404
    client.force_login(membership.user)
    assert client.get("/en/datasets/early/").status_code == 200


def test_datasets_are_links_in_my_space_and_on_the_partner_page(client):
    membership = PartnerMembershipFactory.create(partner__slug="lydec")
    DatasetFactory.create(slug="meters", owner=membership.partner, access_level=AccessLevel.RESTRICTED)
    DatasetFactory.create(slug="lights", owner=membership.partner)
    assert '/en/datasets/lights/"' in client.get("/en/partners/lydec/").content.decode()
    client.force_login(membership.user)
    html = client.get("/en/me/").content.decode()
    assert '/en/datasets/meters/"' in html
    assert '/en/datasets/lights/"' in html


def test_the_dataset_page_query_count_is_constant(client):
    dataset = DatasetFactory.create(slug="meters")

    def grow(n):
        while dataset.challenges.count() < n:
            dataset.challenges.add(ChallengeFactory.create())

    assert_constant_queries(client, "/datasets/meters/", grow, at_most=6)
