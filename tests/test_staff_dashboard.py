"""The staff's program dashboard: only staff see it, and each figure counts exactly the admin list it links to."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone, translation

from challenges.models import ChallengeStatus, JuryInvitation, PhaseKind, Program
from challenges.services import JURY_SPACE
from datacity.accounts.roles import PROGRAM_MANAGER
from datacity.audit.models import AuditEntry
from datacity.core.organisations import invitation_create
from datacity.notifications.models import MailState, Notification
from partners.services import PARTNER_SPACE
from tests.factories import (
    ChallengeFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    PhaseFactory,
    ProgramFactory,
    UserFactory,
)
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    user = UserFactory.create(is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=PROGRAM_MANAGER)[0])
    return user


@pytest.fixture
def program(staff):
    """An edition whose call opens in ten days with drafts left, phases out of order, partners with and without
    members, and pending invitations, one of them about to expire."""
    now = timezone.now()
    today = timezone.localdate()
    program = ProgramFactory.create(
        name="DataCity Casablanca 2027",
        slug="casablanca-2027",
        starts_on=today - timedelta(days=100),
        ends_on=today + timedelta(days=2000),
    )
    PhaseFactory.create(
        program=program,
        order=1,
        kind=PhaseKind.CALL_FOR_APPLICATIONS,
        starts_at=now + timedelta(days=10),
        ends_at=now + timedelta(days=40),
    )
    # Numbered after the call, but it runs before it: its order and its dates disagree.
    PhaseFactory.create(
        program=program,
        order=2,
        kind=PhaseKind.CHALLENGE_DEFINITION,
        starts_at=now - timedelta(days=30),
        ends_at=now + timedelta(days=5),
    )
    lydec = PartnerFactory.create(name="Lydec")
    PartnerMembershipFactory.create(partner=lydec)
    PartnerMembershipFactory.create(partner=lydec)
    lonely = PartnerFactory.create(name="Casa Tram")
    ChallengeFactory.create(program=program, owner=lydec, status=ChallengeStatus.DRAFT)
    ChallengeFactory.create(program=program, owner=lydec, status=ChallengeStatus.DRAFT)
    ChallengeFactory.create(program=program, owner=lonely, co_sponsors=[lydec])
    ChallengeFactory.create(status=ChallengeStatus.DRAFT)  # another edition's
    invitation_create(space=JURY_SPACE, organisation=program, email="juror@example.org", role="member", actor=staff)
    expiring, _token = invitation_create(
        space=JURY_SPACE, organisation=program, email="late@example.org", role="member", actor=staff
    )
    JuryInvitation.objects.filter(pk=expiring.pk).update(expires_at=now + timedelta(days=1))
    invitation_create(space=PARTNER_SPACE, organisation=lonely, email="first@example.org", role="owner", actor=staff)
    Notification.objects.filter(email="late@example.org").update(mail_state=MailState.FAILED, attempts=10)
    return program


def all_figures(response):
    figures = [figure for section in response.context["sections"] for figure in section["figures"]]
    return figures + [row["members"] for row in response.context["program_partners"]]


def test_every_figure_counts_the_admin_list_it_links_to(client, staff, program):
    client.force_login(staff)
    response = client.get(f"/en/staff/{program.slug}/")
    assert response.status_code == 200
    figures = all_figures(response)
    attention = next(section for section in response.context["sections"] if section["key"] == "attention")
    assert len(attention["figures"]) == 5, [figure.label for figure in attention["figures"]]
    assert sum(figure.count for figure in figures) > 0
    for figure in figures:
        assert figure.url.startswith("/admin/"), figure
        listed = client.get(figure.url)
        assert listed.status_code == 200, figure
        assert listed.context["cl"].result_count == figure.count, figure
    with translation.override("en"):
        counts = {str(figure.label): figure.count for figure in figures}
    assert counts["Draft"] == 2
    assert counts["Published"] == 1
    assert counts["Partners without members"] == 2  # Casa Tram, and the owner of the other edition's challenge
    assert counts["Jury of this edition"] == 2
    assert counts["Jury invitations expiring within three days"] == 1
    assert counts["Phases whose dates do not follow their order"] == 1
    assert counts["Mails that could not be sent: see why, then send them again"] == 1
    assert {row["partner"].name: row["members"].count for row in response.context["program_partners"]} == {
        "Casa Tram": 0,
        "Lydec": 2,
    }


def test_the_page_shows_the_phases_and_the_next_deadline(client, staff, program):
    client.force_login(staff)
    html = client.get(f"/en/staff/{program.slug}/").content.decode()
    assert "Next deadline:" in html
    for text in ("Challenge definition", "Upcoming", "Open"):
        assert text in html
    assert "/admin/challenges/challenge/?program__id__exact=" in html


def test_the_dashboard_query_count_is_constant(client, staff, program):
    client.force_login(staff)

    def grow(n):
        while program.challenges.count() < n:
            partner = PartnerFactory.create()
            PartnerMembershipFactory.create(partner=partner)
            ChallengeFactory.create(program=program, owner=partner, status=ChallengeStatus.DRAFT)
            PhaseFactory.create(program=program, order=program.phases.count() + 3, kind=PhaseKind.FOLLOW_UP)
            invitation_create(
                space=PARTNER_SPACE,
                organisation=partner,
                email=f"{partner.slug}@example.org",
                role="owner",
                actor=staff,
            )

    assert_constant_queries(client, f"/staff/{program.slug}/", grow, at_most=20)


def test_staff_reach_the_dashboard_from_my_space_and_the_admin(client, staff, program):
    client.force_login(staff)
    assert f"/en/staff/{program.slug}/" in client.get("/en/me/").content.decode()
    assert "/staff/" in client.get("/admin/").content.decode()
    response = client.get("/en/staff/")
    assert response.status_code == 302
    assert response["Location"] == f"/en/staff/{Program.objects.current().slug}/"


def test_staff_without_an_edition_are_told_so(client, staff):
    client.force_login(staff)
    response = client.get("/en/staff/")
    assert response.status_code == 200
    assert "There is no edition yet." in response.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "member", "partner owner"])
def test_nobody_else_sees_it_and_the_refusal_is_audited(client, program, who):
    if who == "member":
        client.force_login(UserFactory.create())
    elif who == "partner owner":
        client.force_login(PartnerMembershipFactory.create(role="owner").user)
    assert client.get(f"/en/staff/{program.slug}/").status_code == 404
    assert client.get("/en/staff/").status_code == 404
    assert client.get("/en/staff/no-such-edition/").status_code == 404
    refusals = AuditEntry.objects.filter(action="access.refused")
    assert refusals.filter(object_id=str(program.pk)).count() == 1
    assert refusals.count() == 2  # the edition, and the dashboard's entrance; an unknown edition is no refusal
