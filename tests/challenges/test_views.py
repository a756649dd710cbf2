"""Public pages of the program side: content, filters, 404s and query counts."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from challenges.models import ChallengeStatus
from tests.factories import (
    ChallengeFactory,
    DatasetFactory,
    PartnerFactory,
    PhaseFactory,
    ProgramFactory,
    SelectionFactory,
    ThemeFactory,
)
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


def running_program(**kwargs):
    """A program whose phase 1 (of 3) is open now."""
    program = ProgramFactory.create(**kwargs)
    now = timezone.now()
    PhaseFactory.create(
        program=program,
        order=0,
        title="Definition",
        starts_at=now - timedelta(days=40),
        ends_at=now - timedelta(days=10),
    )
    PhaseFactory.create(
        program=program,
        order=1,
        title="Call for applications",
        starts_at=now - timedelta(days=10),
        ends_at=now + timedelta(days=20),
    )
    PhaseFactory.create(
        program=program,
        order=2,
        title="Selection",
        starts_at=now + timedelta(days=20),
        ends_at=now + timedelta(days=50),
    )
    return program


def test_home_shows_the_current_edition_its_open_phase_and_featured_challenges(client):
    program = running_program(name="DataCity Casablanca 2027")
    ChallengeFactory.create(program=program, title="Tram at rush hour", is_featured=True)
    ChallengeFactory.create(program=program, title="Not featured")
    ChallengeFactory.create(program=program, title="Draft one", is_featured=True, status=ChallengeStatus.DRAFT)
    ProgramFactory.create(name="Unpublished edition", is_published=False, starts_on=timezone.localdate())

    response = client.get("/en/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "DataCity Casablanca 2027" in html
    assert "Unpublished edition" not in html
    current_steps = re.findall(r'<li[^>]*aria-current="step"[^>]*>(.*?)</li>', html, re.S)
    assert len(current_steps) == 1
    assert "Call for applications" in current_steps[0]
    assert "Now: <strong>Call for applications</strong>" in html
    assert "Tram at rush hour" in html
    assert "Not featured" not in html
    assert "Draft one" not in html


def test_home_without_any_edition(client):
    response = client.get("/en/")
    assert response.status_code == 200
    assert "No edition has been published yet." in response.content.decode()


def test_home_query_count_is_constant(client):
    program = running_program()

    def grow(n):
        while program.challenges.count() < n:
            ChallengeFactory.create(
                program=program, is_featured=True, themes=[ThemeFactory.create(), ThemeFactory.create()]
            )

    assert_constant_queries(client, "/", grow, at_most=8)


def test_program_page_shows_the_timeline_in_the_program_time_zone(client):
    program = running_program(slug="casa-2027")
    selection = SelectionFactory.create(program=program)
    response = client.get("/programs/casa-2027/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="timeline-phase') == 3
    assert "Africa/Casablanca" in html
    assert selection.startup.name in html


def test_program_page_query_count_is_constant(client):
    program = running_program(slug="casa-2027")

    def grow(n):
        while program.challenges.count() < n:
            challenge = ChallengeFactory.create(program=program, themes=[ThemeFactory.create()])
            SelectionFactory.create(program=program, challenge=challenge)

    assert_constant_queries(client, "/programs/casa-2027/", grow, at_most=8)


def test_unpublished_program_is_not_found(client):
    ProgramFactory.create(slug="hidden", is_published=False)
    assert client.get("/programs/hidden/").status_code == 404


def test_challenge_list_shows_published_challenges_of_published_editions(client):
    ChallengeFactory.create(title="Published")
    ChallengeFactory.create(title="Draft", status=ChallengeStatus.DRAFT)
    ChallengeFactory.create(title="In a hidden edition", program=ProgramFactory.create(is_published=False))
    html = client.get("/challenges/").content.decode()
    assert "Published" in html
    assert "Draft" not in html
    assert "In a hidden edition" not in html


def test_challenge_list_filters_by_edition_partner_and_theme(client):
    edition = ProgramFactory.create(slug="casa")
    lydec = PartnerFactory.create(slug="lydec")
    water = ThemeFactory.create(slug="water")
    owned = ChallengeFactory.create(title="Owned by Lydec", owner=lydec, program=edition)
    co_sponsored = ChallengeFactory.create(title="Co-sponsored by Lydec", co_sponsors=[lydec], themes=[water])
    ChallengeFactory.create(title="Unrelated")

    def titles(query):
        response = client.get(f"/challenges/?{query}")
        assert response.status_code == 200
        return {challenge.title for challenge in response.context["challenges"]}

    assert titles("program=casa") == {owned.title}
    assert titles("partner=lydec") == {owned.title, co_sponsored.title}
    assert titles("theme=water") == {co_sponsored.title}
    assert titles("partner=lydec&theme=water") == {co_sponsored.title}


def test_challenge_list_with_an_unknown_filter_value_says_so(client):
    ChallengeFactory.create(title="Still listed")
    response = client.get("/challenges/?partner=nobody")
    assert response.status_code == 200
    assert response.context["filter"].errors
    assert "partner" in response.context["filter"].errors


def test_challenge_list_query_count_is_constant(client):
    partner = PartnerFactory.create()

    def grow(n):
        while partner.owned_challenges.count() < n:
            ChallengeFactory.create(
                owner=partner, themes=[ThemeFactory.create()], co_sponsors=[PartnerFactory.create()]
            )

    response = assert_constant_queries(client, "/challenges/", grow, at_most=8)
    assert len(response.context["challenges"]) == 24  # paginated


def test_challenge_detail_shows_the_brief_partners_open_data_and_selected_startups(client):
    owner = PartnerFactory.create(name="Lydec")
    challenge = ChallengeFactory.create(
        slug="water-losses",
        title="Cutting water losses",
        problem_statement="Part of the water never reaches a tap.",
        owner=owner,
        co_sponsors=[PartnerFactory.create(name="City of Casablanca")],
        themes=[ThemeFactory.create(name="Water")],
    )
    DatasetFactory.create(title="Open light points", challenges=[challenge])
    DatasetFactory.create(title="Restricted meter data", challenges=[challenge], access_level="restricted")
    SelectionFactory.create(program=challenge.program, challenge=challenge, startup__name="AquaSense")

    html = client.get("/challenges/water-losses/").content.decode()
    for text in (
        "Cutting water losses",
        "Part of the water never reaches a tap.",
        "Lydec",
        "City of Casablanca",
        "Water",
        "Open light points",
        "AquaSense",
        "Waiting time",
    ):
        assert text in html
    assert "Restricted meter data" not in html


def test_draft_challenge_is_not_found(client):
    ChallengeFactory.create(slug="draft", status=ChallengeStatus.DRAFT)
    assert client.get("/challenges/draft/").status_code == 404


def test_challenge_detail_query_count_is_constant(client):
    challenge = ChallengeFactory.create(slug="busy")

    def grow(n):
        while challenge.co_sponsors.count() < n:
            challenge.co_sponsors.add(PartnerFactory.create())
            challenge.themes.add(ThemeFactory.create())
            DatasetFactory.create(challenges=[challenge])
            SelectionFactory.create(program=ProgramFactory.create(), challenge=challenge)

    assert_constant_queries(client, "/challenges/busy/", grow, at_most=8)


def test_a_partners_members_preview_its_draft_challenges_and_nobody_else_does(client):
    from datacity.audit.models import AuditEntry
    from tests.factories import PartnerMembershipFactory, UserFactory

    owner_membership = PartnerMembershipFactory.create()
    co_sponsor_membership = PartnerMembershipFactory.create()
    ChallengeFactory.create(
        slug="draft",
        status=ChallengeStatus.DRAFT,
        owner=owner_membership.partner,
        co_sponsors=[co_sponsor_membership.partner],
    )
    for user in (owner_membership.user, co_sponsor_membership.user):
        client.force_login(user)
        response = client.get("/en/challenges/draft/")
        assert response.status_code == 200
        assert "Draft: only its partners' members see this page" in response.content.decode()
    outsider = UserFactory.create()
    client.force_login(outsider)
    assert client.get("/en/challenges/draft/").status_code == 404
    assert AuditEntry.objects.filter(action="access.refused", actor=outsider).count() == 1
    client.logout()
    assert client.get("/en/challenges/draft/").status_code == 404
