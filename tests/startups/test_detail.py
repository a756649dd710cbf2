"""A startup's page as its founder sees it: where the founder lands after creating it, and who can see it."""

import pytest

from datacity.core.models import MembershipRole
from tests.factories import SelectionFactory, StartupMembershipFactory, UserFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


def test_creating_a_startup_lands_on_its_profile(client):
    client.force_login(UserFactory.create())
    response = client.post(
        "/en/startups/new/", {"name": "Kezakoo", "pitch_fr": "Des supports de formation.", "sector": "education"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/startups/kezakoo/"


def test_a_startup_not_selected_yet_is_private_and_shows_no_empty_section(client):
    membership = StartupMembershipFactory.create(startup__slug="kezakoo", role=MembershipRole.OWNER)
    client.force_login(membership.user)
    html = client.get("/en/startups/kezakoo/").content.decode()
    assert "members can see this page. It becomes public once the startup is selected" in html
    assert "In the program" not in html


def test_a_selected_startup_is_public_and_says_so_to_its_members(client):
    membership = StartupMembershipFactory.create(startup__slug="kezakoo", role=MembershipRole.OWNER)
    SelectionFactory.create(startup=membership.startup)
    assert "This page is public" not in client.get("/en/startups/kezakoo/").content.decode()
    client.force_login(membership.user)
    html = client.get("/en/startups/kezakoo/").content.decode()
    assert "This page is public" in html
    assert "In the program" in html


def test_the_profile_query_count_is_constant(client):
    membership = StartupMembershipFactory.create(startup__slug="kezakoo", role=MembershipRole.OWNER)
    client.force_login(membership.user)

    def grow(n):
        while membership.startup.selections.count() < n:
            SelectionFactory.create(startup=membership.startup)

    assert_constant_queries(client, "/startups/kezakoo/", grow, at_most=8)
