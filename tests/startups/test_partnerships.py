"""What came after the experiments: partnerships recorded by either party (each its own consent), the public list of
signed and consented ones (never the notes), staff's funnel, and the follow-up questionnaires the clock sends once per
due date, catching up after downtime, in calendar months."""

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from challenges.models import DemoDay
from datacity.audit.models import AuditEntry
from datacity.notifications.models import Notification
from startups import partnerships
from startups.models import FollowUpSurvey, Partnership
from tests.factories import (
    PartnerFactory,
    PartnerMembershipFactory,
    PartnershipFactory,
    ProgramFactory,
    SelectionFactory,
    StartupMembershipFactory,
    UserFactory,
)
from tests.utils import assert_constant_queries, send_outbox


class World:
    def __init__(self):
        self.program = ProgramFactory.create(starts_on=date(2025, 1, 1), ends_on=date(2025, 6, 30))
        self.selection = SelectionFactory.create(program=self.program)
        self.member = StartupMembershipFactory.create(startup=self.selection.startup).user
        self.partner = PartnerMembershipFactory.create(partner=self.selection.sponsor).user
        self.staff = UserFactory.create(is_staff=True, is_superuser=True)
        self.outsider = UserFactory.create()


@pytest.fixture
def world(db):
    return World()


# --- Calendar months -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2025, 11, 15), 24, date(2027, 11, 15)),
    ],
)
def test_add_months_clamps_the_day(day, months, expected):
    assert partnerships.add_months(day, months) == expected


# --- The clock ---------------------------------------------------------------------------------------------------


def at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)


def test_follow_ups_are_sent_once_per_due_date(world):
    # Without a demo day, the follow-ups count from the edition's last day, 30 June 2025.
    assert partnerships.follow_ups_due(now=at(date(2025, 12, 29))) == 0
    assert not FollowUpSurvey.objects.exists()
    assert partnerships.follow_ups_due(now=at(date(2025, 12, 30))) == 1
    assert partnerships.follow_ups_due(now=at(date(2025, 12, 31))) == 0
    survey = FollowUpSurvey.objects.get()
    assert (survey.months, survey.due_on, survey.sent_at is not None) == (6, date(2025, 12, 30), True)
    assert Notification.objects.filter(kind="experiment.follow_up", recipient=world.member).count() == 1
    (message,) = send_outbox()
    assert "6 mois" in message.subject  # in the member's language, French by default
    assert reverse("experiments:follow_up", kwargs={"pk": world.selection.pk, "months": 6}) in message.body


def test_the_demo_day_sets_the_dates(world):
    DemoDay.objects.create(
        program=world.program,
        starts_at=datetime(2025, 5, 31, 9, tzinfo=UTC),
        ends_at=datetime(2025, 5, 31, 18, tzinfo=UTC),
        place="Casablanca",
    )
    assert partnerships.follow_ups_due(now=at(date(2025, 11, 30))) == 1
    assert FollowUpSurvey.objects.get().due_on == date(2025, 11, 30)


def test_catch_up_after_downtime_sends_the_missed_ones_once_and_old_ones_silently(world):
    # The clock was down from before the 12-month date until 40 days after it: the 6-month one is 222 days late
    # (created, not sent), the 12-month one is sent late, once.
    now = at(date(2026, 6, 30) + timedelta(days=40))
    assert partnerships.follow_ups_due(now=now) == 1
    rows = {survey.months: survey for survey in FollowUpSurvey.objects.all()}
    assert set(rows) == {6, 12}
    assert rows[6].sent_at is None
    assert rows[12].sent_at is not None
    assert partnerships.follow_ups_due(now=now + timedelta(days=1)) == 0
    assert Notification.objects.filter(kind="experiment.follow_up").count() == 1


@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_send_once():
    program = ProgramFactory.create(starts_on=date(2025, 1, 1), ends_on=date(2025, 6, 30))
    for _ in range(3):
        selection = SelectionFactory.create(program=program)
        StartupMembershipFactory.create(startup=selection.startup)
    now = at(date(2026, 1, 10))
    results, barrier = [], threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(partnerships.follow_ups_due(now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 3
    assert Notification.objects.filter(kind="experiment.follow_up").count() == 3
    assert FollowUpSurvey.objects.filter(sent_at__isnull=False).count() == 3


# --- Partnerships: consent and checks ---------------------------------------------------------------------------------


def save(world, actor, **data):
    return partnerships.partnership_save(
        actor=actor,
        startup=world.selection.startup,
        partner=world.selection.sponsor,
        selection=world.selection,
        data=data,
    )


def test_a_startup_member_cannot_set_the_partner_consent(world):
    with pytest.raises(partnerships.PartnershipRefused) as refused:
        save(world, world.member, stage="pilot", partner_agrees_public=True)
    assert refused.value.details["reason_code"] == "consent"
    assert not Partnership.objects.exists()
    assert AuditEntry.objects.filter(action="partnership.refused").exists()
    partnership = save(world, world.member, stage="pilot", startup_agrees_public=True)
    assert (partnership.startup_agrees_public, partnership.partner_agrees_public) == (True, False)
    with pytest.raises(partnerships.PartnershipRefused):
        save(world, world.partner, startup_agrees_public=False)
    partnership = save(world, world.partner, partner_agrees_public=True)
    assert (partnership.startup_agrees_public, partnership.partner_agrees_public) == (True, True)
    assert Partnership.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"stage": "contract"}, "signed_on"),
        ({"stage": "pilot", "value": "-1"}, "value"),
        ({"stage": "pilot", "value": "lots"}, "value"),
        ({"stage": "pilot", "started_on": date(2025, 5, 1), "signed_on": date(2025, 4, 1)}, "dates"),
        ({"stage": "pilot", "started_on": date(2025, 5, 1), "ended_on": date(2025, 4, 1)}, "dates"),
        ({"stage": "bogus"}, "stage"),
    ],
)
def test_invalid_partnerships_are_refused(world, data, reason):
    with pytest.raises(partnerships.PartnershipRefused) as refused:
        save(world, world.member, **data)
    assert refused.value.details["reason_code"] == reason
    assert not Partnership.objects.exists()


def test_an_outsider_records_nothing(world):
    with pytest.raises(partnerships.PartnershipRefused):
        save(world, world.outsider, stage="pilot")


# --- Pages ---------------------------------------------------------------------------------------------------------


def test_the_public_list_shows_only_signed_consented_ones_and_never_notes(client, world):
    shown = PartnershipFactory.create(
        stage="contract",
        signed_on=date(2025, 9, 1),
        value=Decimal("123456.00"),
        startup_agrees_public=True,
        partner_agrees_public=True,
        notes="SECRET-NOTE",
    )
    PartnershipFactory.create(stage="contract", signed_on=date(2025, 9, 1), partner_agrees_public=False)
    PartnershipFactory.create(stage="pilot", startup_agrees_public=True, partner_agrees_public=True)
    response = client.get(reverse("partnerships:list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("data-partnership=") == 1
    assert f'data-partnership="{shown.pk}"' in body
    assert "SECRET-NOTE" not in body
    assert "123456" in body


def test_the_public_list_makes_constant_queries(client, db):
    def grow(n):
        while Partnership.objects.count() < n:
            PartnershipFactory.create(
                stage="scale", signed_on=date(2025, 1, 1), startup_agrees_public=True, partner_agrees_public=True
            )

    assert_constant_queries(client, reverse("partnerships:list"), grow, at_most=10)


def test_the_funnel_counts_and_is_staff_only(client, world):
    other = SelectionFactory.create(program=world.program)
    PartnershipFactory.create(selection=world.selection, stage="pilot")
    PartnershipFactory.create(
        selection=other, stage="contract", signed_on=date(2025, 9, 1), value=Decimal(1000), procurement_route="tender"
    )
    PartnershipFactory.create(selection=other, partner=PartnerFactory.create(), stage="stopped")
    funnel = partnerships.edition_funnel(world.program)
    counts = {row.stage: (row.count, row.reached) for row in funnel.stages}
    assert counts == {"pilot": (1, 2), "letter_of_intent": (0, 1), "contract": (1, 1), "scale": (0, 0)}
    assert (funnel.stopped, funnel.signed_value, funnel.selections, funnel.with_partnership) == (
        1,
        Decimal(1000),
        2,
        2,
    )
    url = reverse("partnerships:funnel", kwargs={"slug": world.program.slug})
    for user in (world.member, world.partner, world.outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404
    assert AuditEntry.objects.filter(action="access.refused").count() == 3
    client.force_login(world.staff)
    assert client.get(url).status_code == 200


def test_the_funnel_makes_constant_queries(client, world):
    client.force_login(world.staff)

    def grow(n):
        while Partnership.objects.count() < n:
            PartnershipFactory.create(selection=SelectionFactory.create(program=world.program))

    url = reverse("partnerships:funnel", kwargs={"slug": world.program.slug})
    assert_constant_queries(client, url, grow, at_most=20)


def test_the_experiment_page_is_for_its_parties(client, world):
    url = reverse("experiments:partnership", kwargs={"pk": world.selection.pk})
    client.force_login(world.outsider)
    assert client.get(url).status_code == 404
    for user in (world.member, world.partner, world.staff):
        client.force_login(user)
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "post",
    [
        {"new-stage": "contract", "new-partner": "SPONSOR"},
        {"new-stage": "pilot", "new-partner": "SPONSOR", "new-value": "-5"},
        {"new-stage": "pilot", "new-partner": "SPONSOR", "new-value": "1e999"},
        {"new-stage": "pilot", "new-partner": "SPONSOR", "new-started_on": "2025-13-45"},
        {"new-stage": "<script>", "new-partner": "SPONSOR"},
        {"new-stage": "pilot", "new-partner": "999999999999999999999"},
        {"partnership": "abc", "p1-stage": "pilot"},
        {"partnership": "999999", "p1-stage": "pilot"},
    ],
)
def test_hostile_input_on_the_experiment_page_is_400_and_stores_nothing(client, world, post):
    post = {key: (str(world.selection.sponsor_id) if value == "SPONSOR" else value) for key, value in post.items()}
    client.force_login(world.member)
    response = client.post(reverse("experiments:partnership", kwargs={"pk": world.selection.pk}), post)
    assert response.status_code == 400
    assert not Partnership.objects.exists()


def test_a_startup_member_records_from_the_page_its_own_consent_only(client, world):
    client.force_login(world.member)
    url = reverse("experiments:partnership", kwargs={"pk": world.selection.pk})
    response = client.post(
        url,
        {
            "new-partner": world.selection.sponsor_id,
            "new-stage": "contract",
            "new-signed_on": "2025-09-01",
            "new-value": "1000",
            "new-startup_agrees_public": "on",
            "new-partner_agrees_public": "on",  # not this member's to give: ignored
        },
    )
    assert response.status_code == 302
    partnership = Partnership.objects.get()
    assert (partnership.startup_agrees_public, partnership.partner_agrees_public) == (True, False)


def test_the_experiment_page_makes_constant_queries(client, world):
    client.force_login(world.member)

    def grow(n):
        while Partnership.objects.count() < n:
            PartnershipFactory.create(selection=world.selection, partner=PartnerFactory.create())

    url = reverse("experiments:partnership", kwargs={"pk": world.selection.pk})
    assert_constant_queries(client, url, grow, at_most=25)


# --- Follow-up answers ---------------------------------------------------------------------------------------------


def test_the_follow_up_page(client, world):
    url = reverse("experiments:follow_up", kwargs={"pk": world.selection.pk, "months": 6})
    client.force_login(world.member)
    assert client.get(url).status_code == 404  # not due yet
    survey = FollowUpSurvey.objects.create(selection=world.selection, months=6, due_on=date(2025, 12, 30))
    assert client.get(url).status_code == 200
    page = client.get(reverse("experiments:partnership", kwargs={"pk": world.selection.pk}))
    assert url in page.content.decode()
    bad = client.post(url, {"still_operating": "maybe", "employees": "-3", "revenue_band": "none"})
    assert bad.status_code == 400
    survey.refresh_from_db()
    assert survey.answered_at is None
    good = {"still_operating": "yes", "employees": "7", "revenue_band": "100k_1m", "partnerships": "A pilot"}
    assert client.post(url, good).status_code == 302
    assert client.post(url, {**good, "employees": "9"}).status_code == 302
    survey.refresh_from_db()
    assert survey.answers["employees"] == 9
    assert survey.answered_by == world.member
    assert AuditEntry.objects.filter(action="experiment.follow_up_updated").count() == 1
    client.force_login(world.partner)
    response = client.get(url)
    assert response.status_code == 200
    assert b'data-testid="answer"' not in response.content
    assert client.post(url, good).status_code == 400
    client.force_login(world.outsider)
    assert client.get(url).status_code == 404


def test_only_a_startup_member_answers(world):
    survey = FollowUpSurvey.objects.create(selection=world.selection, months=6, due_on=date(2025, 12, 30))
    with pytest.raises(partnerships.PartnershipRefused):
        partnerships.follow_up_answer(
            survey=survey,
            actor=world.partner,
            answers={"still_operating": "yes", "employees": 1, "revenue_band": "none"},
        )


def test_the_page_offers_only_partners_the_visitor_may_see_and_hides_others_dealings(client, world):
    hidden = PartnerFactory.create(name="Hidden Partner Co", is_public=False)
    PartnershipFactory.create(selection=world.selection, partner=hidden, value=Decimal(777), notes="PRIVATE-NOTE")
    url = reverse("experiments:partnership", kwargs={"pk": world.selection.pk})
    client.force_login(world.member)
    body = client.get(url).content.decode()
    assert f'<option value="{hidden.pk}"' not in body
    assert "PRIVATE-NOTE" in body  # the startup is a party to it
    client.force_login(world.partner)
    body = client.get(url).content.decode()
    assert "PRIVATE-NOTE" not in body
    assert "Hidden Partner Co" not in body
    client.force_login(world.staff)
    assert f'<option value="{hidden.pk}"' in client.get(url).content.decode()
