"""An edition's public outcome: the demo day and results pages, who sees them, the summary figures, what they never
show (people), the indicator charts, the three languages, their query counts, and the demo's results."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from challenges.models import DemoDay, Program
from datacity.audit.models import AuditEntry
from datacity.demo.results import load_results
from startups.models import ApplicationStatus, Outcome, Selection
from tests.factories import (
    ChallengeFactory,
    DemoDayFactory,
    IndicatorFactory,
    MeasurementFactory,
    PartnerFactory,
    PartnershipFactory,
    ProgramFactory,
    SelectionFactory,
    StartupFactory,
    StartupMembershipFactory,
    SubmittedApplicationFactory,
    UserFactory,
)
from tests.utils import get_counting_queries, translated

pytestmark = pytest.mark.django_db


def demo_day_url(program: Program, language: str = "en") -> str:
    with translation.override(language):
        return reverse("challenges:demo_day", kwargs={"slug": program.slug})


def results_url(program: Program, language: str = "en") -> str:
    with translation.override(language):
        return reverse("challenges:results", kwargs={"slug": program.slug})


def edition(**kwargs) -> Program:
    """A published edition whose results are published, with a published demo day."""
    program = ProgramFactory.create(results_published=True, **kwargs)
    DemoDayFactory.create(program=program)
    return program


# --- Who sees the pages ------------------------------------------------------------------------------------------


@pytest.fixture
def staff():
    return UserFactory.create(is_staff=True)


@pytest.mark.parametrize(
    ("program_published", "demo_day_published", "results_published", "demo_day_public", "results_public"),
    [
        (True, True, True, True, True),
        (False, True, True, False, False),  # an unpublished edition shows neither
        (True, False, True, False, True),
        (True, True, False, True, False),
    ],
)
def test_the_pages_are_public_only_once_published_and_staff_preview_them(
    client, staff, program_published, demo_day_published, results_published, demo_day_public, results_public
):
    program = ProgramFactory.create(is_published=program_published, results_published=results_published)
    DemoDayFactory.create(program=program, is_published=demo_day_published)

    assert client.get(demo_day_url(program)).status_code == (200 if demo_day_public else 404)
    assert client.get(results_url(program)).status_code == (200 if results_public else 404)
    client.force_login(UserFactory.create())
    assert client.get(demo_day_url(program)).status_code == (200 if demo_day_public else 404)

    client.force_login(staff)
    demo_day = client.get(demo_day_url(program))
    results = client.get(results_url(program))
    assert demo_day.status_code == results.status_code == 200
    assert ("Preview: this page is not public yet." in demo_day.content.decode()) is not demo_day_public
    assert ("Preview: this page is not public yet." in results.content.decode()) is not results_public


def test_a_refused_page_is_audited_and_a_missing_demo_day_is_not_found(client, staff):
    program = ProgramFactory.create(results_published=False)
    assert client.get(results_url(program)).status_code == 404
    assert AuditEntry.objects.filter(action="access.refused").count() == 1

    client.force_login(staff)
    assert client.get(demo_day_url(program)).status_code == 404  # no demo day at all, not even for staff
    assert client.get(reverse("challenges:results", kwargs={"slug": "no-such-edition"})).status_code == 404


def test_the_edition_page_links_to_its_published_outcome_only(client):
    program = edition(slug="casa-outcome")
    html = client.get("/en/programs/casa-outcome/").content.decode()
    assert demo_day_url(program) in html
    assert results_url(program) in html

    DemoDay.objects.filter(program=program).update(is_published=False)
    Program.objects.filter(pk=program.pk).update(results_published=False)
    html = client.get("/en/programs/casa-outcome/").content.decode()
    assert demo_day_url(program) not in html
    assert results_url(program) not in html

    bare = ProgramFactory.create(slug="casa-bare")  # no demo day at all
    assert client.get("/en/programs/casa-bare/").status_code == 200
    assert demo_day_url(bare) not in client.get("/en/programs/casa-bare/").content.decode()


# --- The demo day ------------------------------------------------------------------------------------------------


def test_demo_day_shows_when_where_the_programme_and_the_presenters_in_order(client):
    program = edition()
    DemoDay.objects.filter(program=program).update(
        starts_at=datetime(2017, 10, 12, 14, 0, tzinfo=program.time_zone),
        ends_at=datetime(2017, 10, 12, 19, 0, tzinfo=program.time_zone),
    )
    second = SelectionFactory.create(program=program, presents_at_demo_day=True, demo_day_order=2)
    first = SelectionFactory.create(program=program, presents_at_demo_day=True, demo_day_order=1)
    Selection.objects.filter(pk=first.pk).update(prototype_summary_en="A shade sail with sensors.")
    absent = SelectionFactory.create(program=program, presents_at_demo_day=False)

    html = client.get(demo_day_url(program)).content.decode()
    assert "12 October 2017, 14:00" in html
    assert "19:00" in html
    assert "Africa/Casablanca" in html
    assert "Technopark" in html
    assert "Route de Nouaceur, Casablanca" in html
    assert html.index("Welcome") < html.index("Pitches") < html.index("Drinks")
    assert html.index(first.startup.name) < html.index(second.startup.name)
    assert first.startup.get_absolute_url() in html
    assert first.challenge is not None
    assert first.sponsor is not None
    assert first.challenge.title in html
    assert first.sponsor.name in html
    assert "A shade sail with sensors." in html
    assert absent.startup.name not in html


# --- The results -------------------------------------------------------------------------------------------------


@pytest.fixture
def results_world():
    """An edition with three selections and its applications, partnerships and indicators."""
    program = edition()
    challenge = ChallengeFactory.create(program=program)
    for status in (
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.UNDER_REVIEW,
        ApplicationStatus.ELIGIBLE,
        ApplicationStatus.INELIGIBLE,
        ApplicationStatus.DRAFT,
        ApplicationStatus.DRAFT,
        ApplicationStatus.WITHDRAWN,
    ):
        SubmittedApplicationFactory.create(challenge=challenge, status=status)
    SubmittedApplicationFactory.create()  # another edition's

    founder = UserFactory.create(full_name="Amina Confidentielle", email="amina.founder@example.org")
    startup = StartupFactory.create(name="Ombra")
    StartupMembershipFactory.create(startup=startup, user=founder)
    tested = SelectionFactory.create(
        program=program, startup=startup, challenge=challenge, outcome=Outcome.TESTED, prototype_summary="Shade."
    )
    contract = SelectionFactory.create(program=program, challenge=challenge, outcome=Outcome.CONTRACT)
    stopped = SelectionFactory.create(program=program, challenge=challenge, outcome=Outcome.STOPPED)

    # Signed: two (a contract both agreed to publish, a scale-up only the startup agreed to); a pilot is not signed.
    PartnershipFactory.create(selection=tested, partner=PartnerFactory.create(name="Named Contract Co"))
    PartnershipFactory.create(
        selection=contract,
        partner=PartnerFactory.create(name="Discreet Scale Co"),
        stage="scale",
        partner_agrees_public=False,
    )
    PartnershipFactory.create(selection=stopped, partner=PartnerFactory.create(name="Named Pilot Co"), stage="pilot")
    PartnershipFactory.create(  # another edition's
        selection=SelectionFactory.create(), partner=PartnerFactory.create(name="Elsewhere Co")
    )

    empty = IndicatorFactory.create(selection=tested, name="Shade hours", order=0)
    measured = IndicatorFactory.create(selection=tested, name="Waiting heat", order=1)
    recorder = UserFactory.create(full_name="Youssef Mesureur", email="youssef.recorder@example.org")
    for days, value in ((20, 950), (10, 880), (1, 810)):
        MeasurementFactory.create(
            indicator=measured,
            value=Decimal(value),
            measured_on=timezone.localdate() - timedelta(days=days),
            measured_by=recorder,
        )
    return program, tested, empty, measured, founder, recorder


def test_results_summary_counts_in_the_database(client, results_world):
    program = results_world[0]
    html = client.get(results_url(program)).content.decode()
    assert '<dd data-figure="applications"><bdi>5</bdi></dd>' in html  # drafts and withdrawn ones left out
    assert '<dd data-figure="selected"><bdi>3</bdi></dd>' in html
    assert '<dd data-figure="tested"><bdi>2</bdi></dd>' in html  # tested and contract, not stopped
    assert '<dd data-figure="signed"><bdi>2</bdi></dd>' in html  # the discreet scale-up counted...
    assert "Discreet Scale Co" not in html  # ...not named
    assert "Named Contract Co" in html
    assert "Named Pilot Co" not in html  # a pilot is not signed: the public names signed partnerships only
    assert "Elsewhere Co" not in html
    assert "only those the startup and the partner both agreed to publish are named" in html


def test_results_show_each_startup_its_outcome_and_indicators_against_targets(client, results_world):
    program, tested, empty, measured, _founder, _recorder = results_world
    html = client.get(results_url(program)).content.decode()
    assert "Ombra" in html
    assert tested.challenge.title in html
    assert tested.sponsor.name in html
    assert "Shade." in html
    assert "Prototype tested" in html
    assert "Contract signed" in html
    assert "Stopped" in html
    section = html[html.index(f'id="indicator-{measured.pk}"') :]
    assert "1,000 litres/day" in section
    assert "700 litres/day" in section
    assert "810 litres/day" in section
    # The chart is there for an indicator with no measurement and one with several, each with its accessible table.
    assert html.count("<svg") == 2
    for indicator in (empty, measured):
        assert f'id="kpi-{indicator.pk}-title"' in html
    assert "No measurement yet." in html
    assert "Not measured yet" in html  # the status of the empty one, as text
    assert "Measurements of Waiting heat" in html


def test_results_show_no_personal_data(client, results_world):
    program, _tested, _empty, _measured, founder, recorder = results_world
    for language in ("fr", "ar", "en"):
        html = client.get(results_url(program, language)).content.decode()
        for person in (founder, recorder):
            assert person.email not in html
            assert person.full_name not in html


@pytest.mark.parametrize(("language", "direction"), [("fr", "ltr"), ("ar", "rtl"), ("en", "ltr")])
def test_the_pages_render_in_each_language(client, results_world, language, direction):
    program, tested, *_ = results_world
    Selection.objects.filter(pk=tested.pk).update(presents_at_demo_day=True)
    for url in (results_url(program, language), demo_day_url(program, language)):
        assert url.startswith("/ar/" if language == "ar" else "/en/" if language == "en" else "/programs/")
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200
        assert f'lang="{language}"' in html
        assert f'dir="{direction}"' in html
        assert "Ombra" in html


# --- Query counts ------------------------------------------------------------------------------------------------


def grow(program: Program, count: int, *, presenting: bool = True) -> None:
    """`count` selections in the edition, each presenting at the demo day, with 2 indicators of 3 measurements and a
    public partnership."""
    while Selection.objects.filter(program=program).count() < count:
        selection = SelectionFactory.create(
            program=program, presents_at_demo_day=presenting, outcome=Outcome.TESTED, prototype_summary="Proto."
        )
        PartnershipFactory.create(selection=selection)
        for _ in range(2):
            indicator = IndicatorFactory.create(selection=selection)
            for days in (3, 2, 1):
                MeasurementFactory.create(indicator=indicator, measured_on=timezone.localdate() - timedelta(days=days))


@pytest.mark.parametrize("page", [results_url, demo_day_url])
def test_the_pages_query_count_is_constant(client, page):
    program = edition()
    url = page(program)
    grow(program, 1)
    small, small_count = get_counting_queries(client, url)
    grow(program, 3)
    large, large_count = get_counting_queries(client, url)
    assert small.status_code == large.status_code == 200
    assert large.content.decode().count("Proto.") == 3
    assert small_count == large_count, f"{url}: {small_count} queries with 1 selection, {large_count} with 3"
    assert large_count <= 8, f"{url}: {large_count} queries"


# --- The demo ----------------------------------------------------------------------------------------------------


def test_load_results_publishes_the_2017_outcome_and_is_idempotent(client):
    program = ProgramFactory.create(slug="datacity-casablanca-2017", results_published=False)
    kezakoo = SelectionFactory.create(program=program, startup=StartupFactory.create(slug="kezakoo", name="Kezakoo"))
    other = SelectionFactory.create(
        program=program, startup=StartupFactory.create(slug="ecoroute-fictive", name="EcoRoute (fictive)")
    )

    load_results()
    entries = AuditEntry.objects.count()
    load_results()
    assert AuditEntry.objects.count() == entries  # nothing changed the second time

    program.refresh_from_db()
    demo_day = DemoDay.objects.get(program=program)
    assert program.results_published
    assert demo_day.is_published
    assert demo_day.starts_at.astimezone(program.time_zone).date().isoformat().startswith("2017-10")
    kezakoo.refresh_from_db()
    other.refresh_from_db()
    assert kezakoo.presents_at_demo_day
    assert other.presents_at_demo_day
    assert kezakoo.demo_day_order < other.demo_day_order
    assert kezakoo.outcome
    assert other.outcome
    for language in ("fr", "ar", "en"):
        assert translated(kezakoo, "prototype_summary", language)
    assert translated(kezakoo, "prototype_summary", "fr").startswith("Démo : ")
    assert translated(kezakoo, "prototype_summary", "fr").endswith("(inventé)")
    assert client.get(demo_day_url(program)).status_code == 200
    assert client.get(results_url(program)).status_code == 200
