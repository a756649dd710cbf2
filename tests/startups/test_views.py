"""Public startup pages: only selected startups, with their program, challenge and sponsor."""

import pytest

from tests.factories import ProgramFactory, SelectionFactory, StartupFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


def test_startup_list_shows_only_startups_selected_in_a_published_edition(client):
    SelectionFactory.create(startup__name="Kezakoo", program__name="DataCity Casablanca 2017")
    StartupFactory.create(name="Applied but not selected")
    SelectionFactory.create(
        startup__name="Selected in a hidden edition", program=ProgramFactory.create(is_published=False)
    )
    html = client.get("/startups/").content.decode()
    assert "Kezakoo" in html
    assert "DataCity Casablanca 2017" in html
    assert "Applied but not selected" not in html
    assert "Selected in a hidden edition" not in html


def test_startup_list_filters_by_sector(client):
    SelectionFactory.create(startup__name="AquaSense", startup__sector="water")
    SelectionFactory.create(startup__name="TramFlow", startup__sector="mobility")
    response = client.get("/startups/?sector=water")
    assert [startup.name for startup in response.context["startups"]] == ["AquaSense"]
    response = client.get("/startups/?sector=not-a-sector")
    assert {startup.name for startup in response.context["startups"]} == {"AquaSense", "TramFlow"}


def test_startup_list_query_count_is_constant(client):
    from startups.models import Startup

    def grow(n):
        while Startup.objects.count() < n:
            SelectionFactory.create()

    response = assert_constant_queries(client, "/startups/", grow, at_most=4)
    assert len(response.context["startups"]) == 24


def test_startup_detail_shows_its_program_challenge_and_sponsor(client):
    selection = SelectionFactory.create(
        startup__slug="kezakoo",
        startup__name="Kezakoo",
        startup__pitch="Training material for building-trade applicators.",
        challenge__title="Raising build quality",
        sponsor__name="LafargeHolcim",
    )
    html = client.get("/startups/kezakoo/").content.decode()
    for text in (
        "Kezakoo",
        "Training material for building-trade applicators.",
        "Raising build quality",
        "LafargeHolcim",
        selection.program.name,
    ):
        assert text in html


def test_startup_that_was_not_selected_is_not_found(client):
    StartupFactory.create(slug="not-selected")
    assert client.get("/startups/not-selected/").status_code == 404


def test_startup_detail_query_count_is_constant(client):
    startup = StartupFactory.create(slug="veteran")

    def grow(n):
        while startup.selections.count() < n:
            SelectionFactory.create(startup=startup)

    assert_constant_queries(client, "/startups/veteran/", grow, at_most=4)
