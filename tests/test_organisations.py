"""Startups, partners and juries: creating a startup, inviting, accepting, roles, leaving; all of it audited."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from challenges.models import JuryMembership
from datacity.audit.models import AuditEntry
from datacity.core.models import MembershipRole
from datacity.core.organisations import MembershipError, invitation_accept, invitation_create, invitation_revoke
from datacity.notifications.models import Notification
from partners.models import PartnerMembership
from startups.models import Startup, StartupInvitation, StartupMembership
from startups.services import STARTUP_SPACE
from tests.factories import (
    PartnerFactory,
    ProgramFactory,
    StartupFactory,
    StartupMembershipFactory,
    UserFactory,
)
from tests.utils import assert_constant_queries, group_in_mail, send_outbox

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Service messages are checked in English (outside a request the default language, French, is active)."""
    with translation.override("en"):
        yield


@pytest.fixture
def founder(client):
    user = UserFactory.create(email="founder@example.org")
    client.force_login(user)
    return user


def invite(startup, email, *, actor, role=MembershipRole.MEMBER):
    with_token = invitation_create(space=STARTUP_SPACE, organisation=startup, email=email, role=role, actor=actor)
    return with_token


def test_a_founder_creates_a_startup_and_becomes_its_owner(client, founder):
    response = client.post(
        "/en/startups/new/",
        {"name": "Kezakoo", "pitch_fr": "Des supports de formation.", "sector": "education", "city": "Casablanca"},
    )
    startup = Startup.objects.get(name="Kezakoo")
    assert response.status_code == 302
    assert response["Location"] == f"/en/startups/{startup.slug}/"
    assert StartupMembership.objects.get(startup=startup).role == MembershipRole.OWNER
    assert AuditEntry.objects.filter(action="startup.created", actor=founder).exists()
    # Not selected yet: its profile is visible to its members only.
    assert client.get(f"/en/startups/{startup.slug}/").status_code == 200
    client.logout()
    assert client.get(f"/en/startups/{startup.slug}/").status_code == 404


def test_a_startup_form_with_errors_keeps_what_was_typed(client, founder):
    response = client.post("/en/startups/new/", {"name": "Kezakoo", "website": "not a url", "sector": "education"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="Kezakoo"' in html
    assert "Write your pitch in at least one language." in html
    assert not Startup.objects.exists()


def test_an_owner_invites_a_co_founder_who_accepts_with_the_invited_address(client, founder):
    startup = StartupFactory.create()
    StartupMembershipFactory.create(startup=startup, user=founder, role=MembershipRole.OWNER)
    response = client.post(
        f"/en/startups/{startup.slug}/members/",
        {"action": "invite", "email": "cofounder@example.org", "role": "member"},
    )
    assert response.status_code == 302
    [message] = send_outbox()
    assert message.to == ["cofounder@example.org"]
    link = group_in_mail(r"https?://[^/\s]+(/\S*invitations/\S+/)", message)
    invitation = StartupInvitation.objects.get()
    assert link.split("/")[-2] not in invitation.token_hash  # only a hash of the token is stored

    cofounder = UserFactory.create(email="cofounder@example.org")
    client.force_login(cofounder)
    assert startup.name in client.get(link).content.decode()
    response = client.post(link)
    assert response.status_code == 302
    assert response["Location"].endswith("/me/")
    assert StartupMembership.objects.get(startup=startup, user=cofounder).role == MembershipRole.MEMBER
    assert startup.name in client.get("/en/me/").content.decode()
    assert AuditEntry.objects.filter(action="startup.member_joined", actor=cofounder).exists()


def test_an_invitation_is_refused_when_expired_reused_or_for_another_address(client, founder):
    startup = StartupFactory.create()
    StartupMembershipFactory.create(startup=startup, user=founder, role=MembershipRole.OWNER)
    invited = UserFactory.create(email="invited@example.org")

    _invitation, token = invite(startup, "someone-else@example.org", actor=founder)
    with pytest.raises(MembershipError, match="another email address"):
        invitation_accept(space=STARTUP_SPACE, token=token, user=invited)

    invitation, token = invite(startup, "invited@example.org", actor=founder)
    StartupInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(MembershipError, match="expired"):
        invitation_accept(space=STARTUP_SPACE, token=token, user=invited)

    _invitation, token = invite(startup, "invited@example.org", actor=founder)
    invitation_accept(space=STARTUP_SPACE, token=token, user=invited)
    other = UserFactory.create(email="other@example.org")
    with pytest.raises(MembershipError, match="already been used"):
        invitation_accept(space=STARTUP_SPACE, token=token, user=other)

    with pytest.raises(MembershipError, match="not valid"):
        invitation_accept(space=STARTUP_SPACE, token="made-up", user=invited)
    assert set(StartupMembership.objects.values_list("user__email", flat=True)) == {
        "founder@example.org",
        "invited@example.org",
    }


def test_the_invitation_page_says_clearly_why_a_link_cannot_be_used(client, founder):
    startup = StartupFactory.create()
    StartupMembershipFactory.create(startup=startup, user=founder, role=MembershipRole.OWNER)
    invitation, token = invite(startup, "someone@example.org", actor=founder)
    response = client.post(f"/en/startups/invitations/{token}/")
    assert response.status_code == 400
    assert "sent to another email address" in response.content.decode()
    StartupInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    response = client.get(f"/en/startups/invitations/{token}/")
    assert response.status_code == 410
    assert "This invitation has expired." in response.content.decode()


def test_owners_change_roles_and_remove_members_but_the_last_owner_stays(client, founder):
    startup = StartupFactory.create()
    mine = StartupMembershipFactory.create(startup=startup, user=founder, role=MembershipRole.OWNER)
    other = StartupMembershipFactory.create(startup=startup, role=MembershipRole.MEMBER)
    url = f"/en/startups/{startup.slug}/members/"

    client.post(url, {"action": "role", "membership": mine.pk, "role": "member"})
    mine.refresh_from_db()
    assert mine.role == MembershipRole.OWNER
    assert "The last owner cannot stop being an owner" in client.get(url).content.decode()

    client.post(url, {"action": "leave"})
    assert StartupMembership.objects.filter(pk=mine.pk).exists()

    client.post(url, {"action": "role", "membership": other.pk, "role": "owner"})
    other.refresh_from_db()
    assert other.role == MembershipRole.OWNER
    response = client.post(url, {"action": "leave"})
    assert response.status_code == 302
    assert not StartupMembership.objects.filter(pk=mine.pk).exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"startup.role_changed", "startup.left"} <= actions


def test_a_member_who_is_not_an_owner_cannot_invite_or_remove(client, founder):
    startup = StartupFactory.create()
    StartupMembershipFactory.create(startup=startup, user=founder, role=MembershipRole.MEMBER)
    owner = StartupMembershipFactory.create(startup=startup, role=MembershipRole.OWNER)
    url = f"/en/startups/{startup.slug}/members/"
    assert client.post(url, {"action": "invite", "email": "x@example.org", "role": "owner"}).status_code == 403
    assert client.post(url, {"action": "remove", "membership": owner.pk}).status_code == 403
    assert not StartupInvitation.objects.exists()
    assert StartupMembership.objects.filter(pk=owner.pk).exists()


def test_another_startups_private_pages_are_not_found_and_the_attempt_is_audited(client, founder):
    mine, theirs = StartupFactory.create(), StartupFactory.create()
    StartupMembershipFactory.create(startup=mine, user=founder, role=MembershipRole.OWNER)
    for url in (f"/en/startups/{theirs.slug}/members/", f"/en/startups/{theirs.slug}/edit/"):
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "leave"}).status_code == 404
    refused = AuditEntry.objects.filter(action="access.refused", actor=founder)
    assert refused.count() == 4
    assert set(refused.values_list("object_id", flat=True)) == {str(theirs.pk)}


def test_inviting_an_existing_member_says_so_and_keeps_the_form(client, founder):
    startup = StartupFactory.create()
    StartupMembershipFactory.create(startup=startup, user=founder, role=MembershipRole.OWNER)
    response = client.post(
        f"/en/startups/{startup.slug}/members/", {"action": "invite", "email": "founder@example.org", "role": "owner"}
    )
    assert response.status_code == 400
    assert "is already a member" in response.content.decode()
    assert 'value="founder@example.org"' in response.content.decode()


def test_staff_invite_a_partners_first_member_from_the_admin(client):
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    partner = PartnerFactory.create(name="Lydec")
    response = client.post(
        "/admin/partners/partnerinvitation/add/",
        {"partner": partner.pk, "email": "contact@lydec.example", "role": "owner"},
    )
    assert response.status_code == 302
    [message] = send_outbox()
    link = group_in_mail(r"https?://[^/\s]+(/\S*invitations/\S+/)", message)

    member = UserFactory.create(email="contact@lydec.example")
    client.force_login(member)
    assert client.post(link).status_code == 302
    assert PartnerMembership.objects.get(partner=partner, user=member).role == MembershipRole.OWNER


def test_a_jury_member_accepts_and_must_then_enrol_in_two_factor(client):
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    program = ProgramFactory.create()
    client.force_login(staff)
    client.post(
        "/admin/challenges/juryinvitation/add/",
        {"program": program.pk, "email": "juror@example.org", "role": "member"},
    )
    link = group_in_mail(r"https?://[^/\s]+(/\S*invitations/\S+/)", send_outbox()[0])

    juror = UserFactory.create(email="juror@example.org")
    client.force_login(juror)
    assert client.post(link).status_code == 302
    assert JuryMembership.objects.filter(program=program, user=juror).exists()
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate/")


def test_an_invitation_waits_in_the_outbox_for_the_address_or_its_account_and_its_link_is_not_kept(founder):
    startup = StartupFactory.create()
    known = UserFactory.create(email="known@example.org")

    stranger_invitation, token = invite(startup, "Stranger@Example.org", actor=founder)
    known_invitation, _ = invite(startup, "KNOWN@example.org", actor=founder)

    rows = {row.email.lower(): row for row in Notification.objects.all()}
    assert (rows["stranger@example.org"].recipient, rows["stranger@example.org"].target) == (None, stranger_invitation)
    assert (rows["known@example.org"].recipient, rows["known@example.org"].target) == (known, known_invitation)
    assert {row.kind for row in rows.values()} == {"membership.invitation"}
    assert token in rows["stranger@example.org"].body_text
    assert mail.outbox == []

    assert len(send_outbox()) == 2
    assert not Notification.objects.filter(body_text__contains=token).exists()  # only a hash of the token stays
    assert AuditEntry.objects.filter(action="startup.invitation_sent").count() == 2


def test_a_replaced_or_revoked_invitation_takes_its_unsent_mail_with_it(founder):
    startup = StartupFactory.create()
    invite(startup, "cofounder@example.org", actor=founder)
    _, token = invite(startup, "cofounder@example.org", actor=founder)  # sent again before the first mail left
    revoked, _ = invite(startup, "other@example.org", actor=founder)
    invitation_revoke(space=STARTUP_SPACE, invitation=revoked, actor=founder)

    [message] = send_outbox()

    assert message.to == ["cofounder@example.org"]
    assert token in message.body  # the link that works, not the replaced one


def test_members_page_query_count_is_constant(client, founder):
    startup = StartupFactory.create()
    StartupMembershipFactory.create(startup=startup, user=founder, role=MembershipRole.OWNER)

    def grow(n):
        while startup.memberships.count() < n:
            StartupMembershipFactory.create(startup=startup)
            invite(startup, f"pending-{startup.invitations.count()}@example.org", actor=founder)

    assert_constant_queries(client, f"/en/startups/{startup.slug}/members/", grow, at_most=12)
