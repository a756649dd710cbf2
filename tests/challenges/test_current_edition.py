"""Everyone can find the current edition: the home page puts forward the edition to act on, /programs/ lists every
published edition, and a challenge's page says which phase its edition is in and what a startup can do now."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import dateformat, timezone, translation

from challenges.models import PhaseKind, PhaseStatus, Program, ProgramStatus
from tests.factories import ChallengeFactory, PhaseFactory, ProgramFactory, ThemeFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db

CASABLANCA = ZoneInfo("Africa/Casablanca")
TOKYO = ZoneInfo("Asia/Tokyo")
SECOND = timedelta(seconds=1)
TODAY = date(2027, 6, 15)


def text(response) -> str:
    """The page's HTML with runs of white space made single spaces, to look for sentences that span lines."""
    return " ".join(response.content.decode().split())


def finished_2017(**kwargs) -> Program:
    return ProgramFactory.create(
        name="DataCity Casablanca 2017", starts_on=date(2017, 2, 1), ends_on=date(2017, 10, 31), **kwargs
    )


def days_from_today(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


def at(days: int, hour: int, tz: ZoneInfo = CASABLANCA) -> datetime:
    """`days` from now at `hour` o'clock sharp, wall-clock time in `tz`."""
    day = timezone.now().astimezone(tz) + timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def local(moment: datetime, tz: ZoneInfo = CASABLANCA) -> str:
    """`moment` as the pages write it (in English), in the edition's time zone."""
    with translation.override("en"):
        return dateformat.format(moment.astimezone(tz), "j F Y, H:i")


# --- Which edition is current ------------------------------------------------------------------------------------
def test_current_is_the_running_edition_before_an_upcoming_or_a_finished_one():
    finished = ProgramFactory.create(starts_on=date(2026, 1, 1), ends_on=date(2026, 9, 30))
    running = ProgramFactory.create(starts_on=date(2027, 1, 1), ends_on=date(2027, 9, 30))
    ProgramFactory.create(starts_on=date(2027, 10, 1), ends_on=date(2028, 6, 30))
    assert Program.objects.current(TODAY) == running
    running.delete()
    assert Program.objects.current(TODAY).starts_on == date(2027, 10, 1)  # the next one, not the finished one
    Program.objects.filter(starts_on__gt=TODAY).delete()
    assert Program.objects.current(TODAY) == finished


def test_current_prefers_the_latest_started_of_two_running_editions_and_the_nearest_upcoming_one():
    ProgramFactory.create(starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31))
    later = ProgramFactory.create(starts_on=date(2027, 3, 1), ends_on=date(2027, 9, 30))
    assert Program.objects.current(TODAY) == later
    Program.objects.all().delete()
    ProgramFactory.create(starts_on=date(2028, 3, 1), ends_on=date(2028, 12, 31))
    nearest = ProgramFactory.create(starts_on=date(2027, 9, 1), ends_on=date(2028, 6, 30))
    assert Program.objects.current(TODAY) == nearest


def test_current_of_finished_editions_is_the_last_to_have_ended():
    ProgramFactory.create(starts_on=date(2017, 2, 1), ends_on=date(2017, 10, 31))
    last = ProgramFactory.create(starts_on=date(2021, 2, 1), ends_on=date(2021, 10, 31))
    assert Program.objects.current(TODAY) == last
    assert Program.objects.filter(pk=-1).current(TODAY) is None


def test_current_counts_the_first_and_last_days_as_running():
    edition = ProgramFactory.create(starts_on=TODAY, ends_on=TODAY + timedelta(days=30))
    ProgramFactory.create(
        starts_on=TODAY + timedelta(days=31), ends_on=TODAY + timedelta(days=60)
    )  # upcoming meanwhile
    assert Program.objects.current(TODAY) == edition
    assert Program.objects.current(TODAY + timedelta(days=30)) == edition


@pytest.mark.parametrize("prefix", ["", "/ar"])
def test_home_shows_a_published_upcoming_edition_once_the_last_one_has_ended(client, prefix):
    old = finished_2017()
    ChallengeFactory.create(program=old, title="Chantiers de 2017", is_featured=True)
    ProgramFactory.create(name="Hidden draft edition", is_published=False, starts_on=days_from_today(5))
    upcoming = ProgramFactory.create(
        name="DataCity Casablanca 2027", slug="casa-2027", starts_on=days_from_today(20), ends_on=days_from_today(290)
    )
    ChallengeFactory.create(program=upcoming, title="Tram at rush hour", is_featured=True)

    response = client.get(f"{prefix}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["program"] == upcoming
    assert "DataCity Casablanca 2027" in html
    assert f'href="{prefix}/programs/casa-2027/"' in html
    assert "Tram at rush hour" in html
    assert "DataCity Casablanca 2017" not in html
    assert "Chantiers de 2017" not in html
    assert "Hidden draft edition" not in html
    assert 'class="edition-upcoming"' in html
    assert f'href="{prefix}/programs/"' in html  # the list of every edition
    assert ('<html lang="ar" dir="rtl">' in html) == (prefix == "/ar")


def test_home_says_when_applications_of_the_upcoming_edition_open(client):
    upcoming = ProgramFactory.create(starts_on=days_from_today(10), ends_on=days_from_today(280))
    opening = at(40, 9)
    PhaseFactory.create(
        program=upcoming,
        order=0,
        kind=PhaseKind.CHALLENGE_DEFINITION,
        title="Challenge definition",
        starts_at=at(10, 9),
        ends_at=opening,
    )
    PhaseFactory.create(program=upcoming, order=1, title="Call for applications", starts_at=opening, ends_at=at(80, 18))

    html = text(client.get("/en/"))

    assert f'Applications open on <time datetime="{opening.isoformat()}">{local(opening)}</time>' in html
    assert "Next: <strong>Challenge definition</strong>" in html


def test_home_still_shows_the_last_edition_when_there_is_no_newer_one(client):
    finished_2017()
    html = text(client.get("/en/"))
    assert "DataCity Casablanca 2017" in html
    assert 'class="edition-finished"' in html


# --- The list of editions ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("prefix", ["", "/ar"])
def test_program_list_shows_every_published_edition_with_its_dates_and_status(client, prefix):
    finished_2017()
    running = ProgramFactory.create(name="DataCity Casablanca 2027", starts_on=days_from_today(-30))
    PhaseFactory.create(program=running, order=0, title="Selection", starts_at=at(-5, 9), ends_at=at(20, 18))
    ProgramFactory.create(name="DataCity Casablanca 2028", starts_on=days_from_today(300), ends_on=days_from_today(600))
    ProgramFactory.create(
        name="Unpublished 2029", is_published=False, starts_on=days_from_today(700), ends_on=days_from_today(900)
    )

    response = client.get(f"{prefix}/programs/")

    html = text(response)
    assert response.status_code == 200
    assert [program.name for program in response.context["programs"]] == [
        "DataCity Casablanca 2028",
        "DataCity Casablanca 2027",
        "DataCity Casablanca 2017",
    ]
    assert "Unpublished 2029" not in html
    for status in ProgramStatus:
        assert html.count(f'class="tag edition-{status}"') == 1
    assert '<time datetime="2017-02-01">' in html
    assert '<time datetime="2017-10-31">' in html
    assert "<strong>Selection</strong>" in html  # the running edition's open phase
    assert ('<html lang="ar" dir="rtl">' in html) == (prefix == "/ar")
    assert f'href="{prefix}/programs/{running.slug}/"' in html


def test_program_list_names_the_status_of_each_edition(client):
    finished_2017()
    ProgramFactory.create(starts_on=days_from_today(10))
    html = text(client.get("/en/programs/"))
    assert '<span class="tag edition-finished">Finished</span>' in html
    assert '<span class="tag edition-upcoming">Upcoming</span>' in html


def test_program_list_without_any_published_edition(client):
    ProgramFactory.create(is_published=False)
    response = client.get("/en/programs/")
    assert response.status_code == 200
    assert "No edition has been published yet." in response.content.decode()


def test_program_list_is_paginated(client):
    for year in range(2000, 2025):
        ProgramFactory.create(starts_on=date(year, 1, 1), ends_on=date(year, 10, 31))
    first = client.get("/programs/")
    assert len(first.context["programs"]) == 20
    assert first.context["programs"][0].starts_on.year == 2024
    second = client.get("/programs/?page=2")
    assert [program.starts_on.year for program in second.context["programs"]] == [2004, 2003, 2002, 2001, 2000]
    assert client.get("/programs/?page=3").status_code == 404


def test_program_list_query_count_is_constant(client):
    def grow(n):
        while Program.objects.count() < n:
            program = ProgramFactory.create()
            for order in range(3):
                PhaseFactory.create(program=program, order=order)

    response = assert_constant_queries(client, "/programs/", grow, at_most=4)
    assert len(response.context["programs"]) == 20  # paginated


def test_program_page_links_to_the_list_of_editions(client):
    program = ProgramFactory.create(slug="casa")
    ChallengeFactory.create(program=program, themes=[ThemeFactory.create()])
    assert 'href="/ar/programs/"' in client.get("/ar/programs/casa/").content.decode()


# --- What a startup can do now, on a challenge's page -------------------------------------------------------------
def edition_with_call(*, call_starts_at: datetime, call_ends_at: datetime, time_zone=CASABLANCA) -> Program:
    """An edition whose challenge definition precedes its call, then selection and experimentation."""
    program = ProgramFactory.create(
        time_zone=time_zone,
        starts_on=(call_starts_at - timedelta(days=60)).date(),
        ends_on=(call_ends_at + timedelta(days=150)).date(),
    )
    PhaseFactory.create(
        program=program,
        order=0,
        kind=PhaseKind.CHALLENGE_DEFINITION,
        title="Challenge definition",
        starts_at=call_starts_at - timedelta(days=60),
        ends_at=call_starts_at,
    )
    PhaseFactory.create(
        program=program,
        order=1,
        kind=PhaseKind.CALL_FOR_APPLICATIONS,
        title="Call for applications",
        starts_at=call_starts_at,
        ends_at=call_ends_at,
    )
    PhaseFactory.create(
        program=program,
        order=2,
        kind=PhaseKind.SELECTION,
        title="Selection",
        starts_at=call_ends_at,
        ends_at=call_ends_at + timedelta(days=30),
    )
    PhaseFactory.create(
        program=program,
        order=3,
        kind=PhaseKind.PROTOTYPING,
        title="Prototyping",
        starts_at=call_ends_at + timedelta(days=30),
        ends_at=call_ends_at + timedelta(days=150),
    )
    ChallengeFactory.create(program=program, slug="water")
    return program


def test_challenge_page_before_the_call_says_when_applications_open(client):
    opening = at(12, 9)
    edition_with_call(call_starts_at=opening, call_ends_at=at(50, 18))

    html = text(client.get("/en/challenges/water/"))

    assert "What startups can do now" in html
    assert "Now: <strong>Challenge definition</strong>" in html
    assert (
        f'Applications open on <time datetime="{opening.isoformat()}">{local(opening)}</time> '
        "(<bdi>Africa/Casablanca</bdi> time)."
    ) in html


def test_challenge_page_during_the_call_gives_the_deadline_in_the_editions_time_zone(client):
    deadline = at(9, 18, TOKYO)
    edition_with_call(call_starts_at=at(-20, 9, TOKYO), call_ends_at=deadline, time_zone=TOKYO)

    html = text(client.get("/en/challenges/water/"))

    assert "Now: <strong>Call for applications</strong>" in html
    assert (
        f'Applications are open until <time datetime="{deadline.isoformat()}">{local(deadline, TOKYO)}</time> '
        "(<bdi>Asia/Tokyo</bdi> time)."
    ) in html
    assert "18:00" in local(deadline, TOKYO)  # the edition's wall-clock time, not the server's


def test_challenge_page_after_the_call_says_selection_is_in_progress(client):
    edition_with_call(call_starts_at=at(-40, 9), call_ends_at=at(-2, 18))
    html = text(client.get("/en/challenges/water/"))
    assert "Now: <strong>Selection</strong>" in html
    assert "Applications are closed; selection in progress." in html
    assert "Applications are open" not in html


def test_challenge_page_during_the_experiments_says_so(client):
    edition_with_call(call_starts_at=at(-100, 9), call_ends_at=at(-40, 18))
    html = text(client.get("/en/challenges/water/"))
    assert "Now: <strong>Prototyping</strong>" in html
    assert "Applications are closed; the program is in its experimentation phase." in html


def test_challenge_page_of_a_finished_edition(client):
    program = finished_2017()
    PhaseFactory.create(program=program, order=0, starts_at=datetime(2017, 4, 3, 9, tzinfo=CASABLANCA))
    ChallengeFactory.create(program=program, slug="chantiers")
    html = text(client.get("/en/challenges/chantiers/"))
    assert "This edition is over: applications are closed." in html


def test_challenge_page_of_an_edition_without_a_call_yet(client):
    ChallengeFactory.create(slug="early", program=ProgramFactory.create(starts_on=days_from_today(30)))
    html = text(client.get("/en/challenges/early/"))
    assert "The dates of the call for applications have not been announced yet." in html


def test_challenge_page_in_arabic_is_right_to_left_and_says_what_startups_can_do(client):
    edition_with_call(call_starts_at=at(-20, 9), call_ends_at=at(9, 18))
    response = client.get("/ar/challenges/water/")
    html = text(response)
    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl">' in html
    assert 'class="startup-outlook"' in html
    assert response.context["state"].call_status == PhaseStatus.OPEN


# --- The state itself, at its boundaries -------------------------------------------------------------------------
def test_state_follows_the_call_to_the_second():
    call_start = datetime(2027, 4, 3, 9, tzinfo=CASABLANCA)
    call_end = datetime(2027, 5, 15, 18, tzinfo=CASABLANCA)
    program = edition_with_call(call_starts_at=call_start, call_ends_at=call_end)

    before = program.state(call_start - SECOND)
    assert before.current_phase is not None
    assert (before.call_status, before.current_phase.kind) == (PhaseStatus.UPCOMING, PhaseKind.CHALLENGE_DEFINITION)
    assert program.state(call_start).call_status == PhaseStatus.OPEN
    assert program.state(call_end - SECOND).call_status == PhaseStatus.OPEN
    after = program.state(call_end)
    assert after.current_phase is not None
    assert (after.call_status, after.current_phase.kind) == (PhaseStatus.CLOSED, PhaseKind.SELECTION)
    assert not after.is_over
    assert program.state(call_end + timedelta(days=150)).is_over


def test_state_picks_the_next_call_when_an_edition_has_two():
    program = ProgramFactory.create()
    first = PhaseFactory.create(program=program, order=0, starts_at=datetime(2027, 1, 1, tzinfo=CASABLANCA))
    second = PhaseFactory.create(program=program, order=1, starts_at=datetime(2027, 3, 1, tzinfo=CASABLANCA))
    between = datetime(2027, 2, 15, tzinfo=CASABLANCA)
    assert program.state(between).call == second
    assert program.state(datetime(2027, 1, 15, tzinfo=CASABLANCA)).call == first
    assert program.state(datetime(2028, 1, 1, tzinfo=CASABLANCA)).call == second
    assert program.state(datetime(2028, 1, 1, tzinfo=CASABLANCA)).call_status == PhaseStatus.CLOSED


def test_status_of_an_edition_follows_its_dates_in_its_own_time_zone():
    program = ProgramFactory.create(starts_on=date(2027, 1, 1), ends_on=date(2027, 6, 30), time_zone=TOKYO)
    # 31 December 2026, 16:00 UTC is already 1 January 2027, 01:00 in Tokyo.
    assert program.state(datetime(2026, 12, 31, 14, 59, tzinfo=ZoneInfo("UTC"))).status == ProgramStatus.UPCOMING
    assert program.state(datetime(2026, 12, 31, 16, 0, tzinfo=ZoneInfo("UTC"))).status == ProgramStatus.RUNNING
    assert program.state(datetime(2027, 6, 30, 14, 59, tzinfo=ZoneInfo("UTC"))).status == ProgramStatus.RUNNING
    assert program.state(datetime(2027, 6, 30, 15, 0, tzinfo=ZoneInfo("UTC"))).status == ProgramStatus.FINISHED
