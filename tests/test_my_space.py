""" "My space": each person lands on a page for their role, with a constant number of queries."""

import pytest
from django.contrib.auth.models import Group

from challenges.models import JuryMembership
from datacity.accounts.roles import JURY
from datacity.core.models import MembershipRole
from tests.factories import (
    ChallengeFactory,
    DatasetFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgramFactory,
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
    client.force_login(UserFactory())
    html = client.get("/en/me/").content.decode()
    assert "Create your startup" in html


def test_a_startup_member_sees_their_startup(client):
    membership = StartupMembershipFactory(startup__name="Kezakoo", role=MembershipRole.OWNER)
    client.force_login(membership.user)
    html = client.get("/en/me/").content.decode()
    assert "Kezakoo" in html
    assert f"/en/startups/{membership.startup.slug}/members/" in html
    assert "Create your startup" not in html


def test_a_partner_member_sees_their_organisation_its_challenges_and_datasets(client):
    membership = PartnerMembershipFactory(partner__name="Lydec")
    ChallengeFactory(owner=membership.partner, title="Water losses", status="draft")
    DatasetFactory(owner=membership.partner, title="Meter readings", access_level="restricted")
    ChallengeFactory(title="Someone else's challenge")
    client.force_login(membership.user)
    html = client.get("/en/me/").content.decode()
    for text in ("Lydec", "Water losses", "Meter readings"):
        assert text in html
    assert "Someone else's challenge" not in html


def test_a_jury_member_sees_their_assignments(client):
    juror = UserFactory(totp=True)
    juror.groups.add(Group.objects.get(name=JURY))
    JuryMembership.objects.create(program=ProgramFactory(name="DataCity 2027"), user=juror)
    client.force_login(juror)
    assert "DataCity 2027" in client.get("/en/me/").content.decode()


def test_staff_see_the_admin_link_and_key_figures(client):
    client.force_login(UserFactory(is_staff=True))
    ChallengeFactory()
    response = client.get("/en/me/")
    html = response.content.decode()
    assert "/admin/" in html
    assert response.context["figures"]["published_challenges"] == 1


def test_my_space_query_count_is_constant(client):
    user = UserFactory(is_staff=True)
    client.force_login(user)

    def grow(n):
        while user.partners.count() < n:
            partner = PartnerFactory()
            PartnerMembershipFactory(partner=partner, user=user)
            ChallengeFactory(owner=partner)
            DatasetFactory(owner=partner)
            StartupMembershipFactory(user=user)

    assert_constant_queries(client, "/me/", grow, at_most=16)
