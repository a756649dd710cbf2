""" "My space": each person lands on a page for their role, with a constant number of queries."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from challenges.models import JuryMembership, PhaseKind
from datacity.accounts.roles import JURY
from datacity.core.models import MembershipRole
from tests.factories import (
    ChallengeFactory,
    DatasetFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    PhaseFactory,
    ProgramFactory,
    SelectionFactory,
    StartupMembershipFactory,
    UserFactory,
)
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_someone_without_an_organisation_is_offered_to_create_a_startup(client):
    client.force_login(UserFactory.create())
    html = client.get("/en/me/").content.decode()
    assert "Create your startup" in html


def test_a_startup_member_sees_their_startup(client):
    membership = StartupMembershipFactory.create(startup__name="Kezakoo", role=MembershipRole.OWNER)
    client.force_login(membership.user)
    html = client.get("/en/me/").content.decode()
    assert "Kezakoo" in html
    assert f"/en/startups/{membership.startup.slug}/members/" in html
    assert "Create your startup" not in html


def test_a_partner_member_sees_their_organisation_its_challenges_and_datasets(client):
    membership = PartnerMembershipFactory.create(partner__name="Lydec")
    ChallengeFactory.create(owner=membership.partner, title="Water losses", status="draft")
    DatasetFactory.create(owner=membership.partner, title="Meter readings", access_level="restricted")
    ChallengeFactory.create(title="Someone else's challenge")
    client.force_login(membership.user)
    html = client.get("/en/me/").content.decode()
    for text in ("Lydec", "Water losses", "Meter readings"):
        assert text in html
    assert "Someone else's challenge" not in html


def test_a_jury_member_sees_their_assignments(client):
    juror = UserFactory.create(totp=True)
    juror.groups.add(Group.objects.get(name=JURY))
    JuryMembership.objects.create(program=ProgramFactory.create(name="DataCity 2027"), user=juror)
    client.force_login(juror)
    assert "DataCity 2027" in client.get("/en/me/").content.decode()


def test_staff_see_the_admin_link_and_each_edition_dashboard(client):
    client.force_login(UserFactory.create(is_staff=True))
    program = ProgramFactory.create(is_published=False)
    html = client.get("/en/me/").content.decode()
    assert "/admin/" in html
    assert f"/en/staff/{program.slug}/" in html


@pytest.mark.parametrize(
    ("starts", "ends", "text"),
    [
        (timedelta(days=10), timedelta(days=40), "The selection opens on"),
        (timedelta(days=-10), timedelta(days=20), "The selection is open until"),
        (timedelta(days=-400), timedelta(days=-370), "The selection closed on"),
        (None, None, "The dates of the selection are not set yet."),
    ],
)
def test_a_juror_is_told_where_the_selection_stands(client, starts, ends, text):
    juror = UserFactory.create(totp=True)
    juror.groups.add(Group.objects.get(name=JURY))
    today = timezone.localdate()
    program = ProgramFactory.create(starts_on=today - timedelta(days=500), ends_on=today + timedelta(days=500))
    JuryMembership.objects.create(program=program, user=juror)
    if starts is not None:
        now = timezone.now()
        PhaseFactory.create(program=program, kind=PhaseKind.SELECTION, starts_at=now + starts, ends_at=now + ends)
    client.force_login(juror)
    html = client.get("/en/me/").content.decode()
    assert text in html
    assert "will appear here" not in html


def test_my_space_query_count_is_constant(client):
    user = UserFactory.create(is_staff=True)
    client.force_login(user)

    def grow(n):
        while user.partners.count() < n:
            partner = PartnerFactory.create()
            PartnerMembershipFactory.create(partner=partner, user=user)
            ChallengeFactory.create(owner=partner)
            DatasetFactory.create(owner=partner)
            membership = StartupMembershipFactory.create(user=user)
            SelectionFactory.create(startup=membership.startup, sponsor=partner)  # an experiment on both sides
            program = ProgramFactory.create()
            PhaseFactory.create(program=program, order=0, kind=PhaseKind.SELECTION)
            JuryMembership.objects.create(program=program, user=user)

    assert_constant_queries(client, "/me/", grow, at_most=16)


def test_the_startup_and_its_sponsor_find_their_experiment(client):
    selection = SelectionFactory.create(startup__name="Kezakoo", sponsor=PartnerFactory.create(name="Lydec"))
    founder = StartupMembershipFactory.create(startup=selection.startup)
    sponsor = PartnerMembershipFactory.create(partner=selection.sponsor)
    outsider = StartupMembershipFactory.create()
    for person in (founder.user, sponsor.user):
        client.force_login(person)
        html = client.get("/en/me/").content.decode()
        for name in ("agreement", "deliverables", "indicators"):
            assert f"/en/experiments/{selection.pk}/{name}/" in html
    client.force_login(outsider.user)
    assert f"/experiments/{selection.pk}/" not in client.get("/en/me/").content.decode()
