"""A dataset's page: its metadata (public for every dataset of an announced partner), its published challenges,
and what access the visitor has to its files."""

import pytest

from challenges.models import ChallengeStatus
from datasets.models import AccessLevel
from tests.factories import (
    ChallengeFactory,
    DatasetFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgramFactory,
    SelectionFactory,
    StartupMembershipFactory,
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


def test_the_metadata_of_every_dataset_is_public_and_the_page_says_who_gets_the_files(client):
    membership = PartnerMembershipFactory.create()
    DatasetFactory.create(slug="meters", owner=membership.partner, access_level=AccessLevel.RESTRICTED)
    DatasetFactory.create(slug="rides", owner=membership.partner, access_level=AccessLevel.PARTICIPANTS)
    DatasetFactory.create(slug="lights", owner=membership.partner, access_level=AccessLevel.PUBLIC)
    selected = StartupMembershipFactory.create()
    SelectionFactory.create(startup=selected.startup)
    not_selected = StartupMembershipFactory.create()

    def access_text(user, slug):
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(f"/en/datasets/{slug}/")
        assert response.status_code == 200
        return response.content.decode()

    assert "Open data: anyone may use the files" in access_text(None, "lights")
    assert "shared on request, under a data-use agreement" in access_text(None, "meters")
    assert "Ask the partner for access" in access_text(selected.user, "meters")
    assert "for the members of the startups selected" in access_text(None, "rides")
    assert "for the members of the startups selected" in access_text(not_selected.user, "rides")
    assert "Your startup takes part in the program" in access_text(selected.user, "rides")
    owner_page = access_text(membership.user, "meters")
    assert "Your organisation shares this dataset" in owner_page
    assert "/en/datasets/meters/edit/" in owner_page
    assert "/en/datasets/meters/edit/" not in access_text(selected.user, "meters")
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
