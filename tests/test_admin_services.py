"""The admin is one more caller of the services: each change staff make there keeps the rules and is audited with
the fields that changed, from what, to what."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from challenges import services
from challenges.models import Challenge, ChallengeStatus, JuryMembership
from datacity.accounts.roles import JURY
from datacity.audit.models import AuditEntry
from datacity.core.models import MembershipRole
from datacity.notifications.models import Notification
from partners.models import PartnerInvitation, PartnerMembership
from startups.models import Selection, StartupMembership
from tests.admin_forms import admin_change_data
from tests.factories import (
    ChallengeFactory,
    DatasetFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    PhaseFactory,
    ProgramFactory,
    SelectionFactory,
    StartupFactory,
    StartupMembershipFactory,
    ThemeFactory,
    UserFactory,
)
from tests.utils import send_outbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory.create(is_staff=True, is_superuser=True, email="manager@city.example.org")
    client.force_login(user)
    return user


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def post_change(client, obj, **changes):
    """Open the change page, post it back with `changes`; return the response."""
    data = admin_change_data(client.get(change_url(obj))) | changes
    return client.post(change_url(obj), data)


def last_entry(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("pk")


@pytest.mark.parametrize(
    ("factory", "field", "value"),
    [
        (ProgramFactory, "city_fr", "Rabat"),
        (ThemeFactory, "name_fr", "Énergie"),
        (PartnerFactory, "website", "https://lydec.example.ma"),
        (StartupFactory, "city", "Tanger"),
        (DatasetFactory, "description_fr", "Relevés horaires"),
        (ChallengeFactory, "summary_fr", "Moins de pertes d'eau."),
    ],
)
def test_a_change_in_the_admin_is_audited_with_the_field_from_and_to(client, staff, factory, field, value):
    obj = factory()
    before = getattr(obj, field)

    response = post_change(client, obj, **{field: value})

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    entry = last_entry(f"{obj._meta.model_name}.updated")
    assert entry.actor == staff
    assert entry.object_id == str(obj.pk)
    assert entry.details["changes"] == {field: {"from": before, "to": value}}
    assert entry.request_id  # the request's id, as in the X-Request-ID header and the logs


def test_phase_dates_moved_in_the_admin_are_audited(client, staff):
    phase = PhaseFactory.create()
    data = admin_change_data(client.get(change_url(phase)))
    data["starts_at_1"] = "07:30:00"

    assert client.post(change_url(phase), data).status_code == 302

    changes = last_entry("phase.updated").details["changes"]
    assert set(changes) == {"starts_at"}
    assert changes["starts_at"]["from"] != changes["starts_at"]["to"]


def test_phase_dates_moved_in_the_admin_are_announced_to_those_told(client, staff):
    phase = PhaseFactory.create()
    told = UserFactory.create(is_staff=True)
    services.phase_tick(now=phase.starts_at)  # the opening is announced to staff (the two of them)
    data = admin_change_data(client.get(change_url(phase)))
    data["ends_at_1"] = "07:30:00"

    assert client.post(change_url(phase), data).status_code == 302

    rescheduled = Notification.objects.filter(kind="phase.rescheduled", object_id=phase.pk)
    assert set(rescheduled.values_list("recipient", flat=True)) == {staff.pk, told.pk}
    mails = [message for message in send_outbox() if message.to == [told.email]]
    assert any("07:30" in message.body for message in mails)


def test_publishing_from_the_list_goes_through_the_service(client, staff):
    drafts = [ChallengeFactory.create(status=ChallengeStatus.DRAFT) for _ in range(2)]
    url = reverse("admin:challenges_challenge_changelist")

    response = client.post(url, {"action": "publish", "index": "0", "_selected_action": [c.pk for c in drafts]})

    assert response.status_code == 302
    assert set(Challenge.objects.values_list("status", flat=True)) == {ChallengeStatus.PUBLISHED}
    entries = AuditEntry.objects.filter(action="challenge.published")
    assert {entry.object_id for entry in entries} == {str(c.pk) for c in drafts}
    assert all(e.details["changes"]["status"] == {"from": "draft", "to": "published"} for e in entries)


def test_the_challenge_list_no_longer_edits_status_in_place(client, staff):
    response = client.get(reverse("admin:challenges_challenge_changelist"))
    assert "status" not in response.context["cl"].list_editable


def test_the_last_owner_cannot_be_removed_from_the_admin(client, staff):
    owner = StartupMembershipFactory.create(role=MembershipRole.OWNER)
    startup = owner.startup
    data = admin_change_data(client.get(change_url(startup)))
    data["memberships-0-DELETE"] = "on"

    response = client.post(change_url(startup), data)

    assert response.status_code == 200
    assert "last owner" in response.content.decode() or "dernier" in response.content.decode()
    assert StartupMembership.objects.filter(pk=owner.pk).exists()


def test_demoting_the_last_owner_in_the_admin_is_refused(client, staff):
    owner = PartnerMembershipFactory.create(role=MembershipRole.OWNER)
    data = admin_change_data(client.get(change_url(owner.partner)))
    data["memberships-0-role"] = MembershipRole.MEMBER

    assert client.post(change_url(owner.partner), data).status_code == 200
    owner.refresh_from_db()
    assert owner.role == MembershipRole.OWNER


def test_a_member_added_by_staff_is_an_audited_staff_action(client, staff):
    owner = PartnerMembershipFactory.create(role=MembershipRole.OWNER)
    newcomer = UserFactory.create(email="newcomer@lydec.example.ma")
    data = admin_change_data(client.get(change_url(owner.partner)))
    data |= {
        "memberships-TOTAL_FORMS": "2",
        "memberships-1-user": str(newcomer.pk),
        "memberships-1-role": MembershipRole.MEMBER,
        "memberships-1-partner": str(owner.partner.pk),
    }

    response = client.post(change_url(owner.partner), data)

    assert response.status_code == 302
    assert PartnerMembership.objects.filter(partner=owner.partner, user=newcomer).exists()
    entry = last_entry("partner.member_added")
    assert entry.actor == staff
    assert entry.details["member"] == newcomer.email


def test_removing_a_member_in_the_admin_goes_through_the_service(client, staff):
    owner = StartupMembershipFactory.create(role=MembershipRole.OWNER)
    member = StartupMembershipFactory.create(startup=owner.startup, role=MembershipRole.MEMBER)
    data = admin_change_data(client.get(change_url(owner.startup)))
    index = next(i for i in range(2) if data[f"memberships-{i}-id"] == member.pk)
    data[f"memberships-{index}-DELETE"] = "on"

    assert client.post(change_url(owner.startup), data).status_code == 302

    assert not StartupMembership.objects.filter(pk=member.pk).exists()
    assert last_entry("startup.member_removed").details["member"] == member.user.email


def test_selections_are_created_changed_and_deleted_through_the_service(client, staff):
    selection = SelectionFactory.create(signed=False)  # a signed agreement is evidence: it blocks the deletion
    other_sponsor = PartnerFactory.create()

    assert post_change(client, selection, sponsor=str(other_sponsor.pk)).status_code == 302
    changes = last_entry("selection.updated").details["changes"]
    assert changes["sponsor_id"]["to"] == other_sponsor.pk

    delete = reverse("admin:startups_selection_delete", args=[selection.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Selection.objects.exists()
    assert last_entry("selection.deleted").object_id == str(selection.pk)


def test_a_selection_for_a_challenge_of_another_edition_is_refused(client, staff):
    selection = SelectionFactory.create()
    elsewhere = ChallengeFactory.create()

    response = post_change(client, selection, challenge=str(elsewhere.pk))

    assert response.status_code == 200
    selection.refresh_from_db()
    assert selection.challenge != elsewhere


def test_removing_a_juror_takes_them_out_of_the_jury_role(client, staff):
    program = ProgramFactory.create()
    juror = UserFactory.create()
    JuryMembership.objects.create(program=program, user=juror)
    juror.groups.add(Group.objects.get_or_create(name=JURY)[0])
    data = admin_change_data(client.get(change_url(program)))
    data["jury-0-DELETE"] = "on"

    response = client.post(change_url(program), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not JuryMembership.objects.filter(user=juror).exists()
    assert not juror.groups.filter(name=JURY).exists()
    assert last_entry("jury.member_removed").details["member"] == juror.email


def test_a_juror_of_two_editions_keeps_the_role_when_removed_from_one(client, staff):
    juror = UserFactory.create()
    first, second = ProgramFactory.create(), ProgramFactory.create()
    for program in (first, second):
        JuryMembership.objects.create(program=program, user=juror)
    juror.groups.add(Group.objects.get_or_create(name=JURY)[0])
    data = admin_change_data(client.get(change_url(first)))
    data["jury-0-DELETE"] = "on"

    assert client.post(change_url(first), data).status_code == 302
    assert juror.groups.filter(name=JURY).exists()


def test_an_invitation_sent_from_the_admin_is_audited_mailed_and_confirmed(client, staff):
    partner = PartnerFactory.create()
    url = reverse("admin:partners_partnerinvitation_add")

    response = client.post(
        url, {"partner": partner.pk, "email": "first@lydec.example.ma", "role": "owner"}, follow=True
    )

    assert response.status_code == 200
    assert "first@lydec.example.ma" in " ".join(str(m) for m in response.context["messages"])
    assert [m.to for m in send_outbox()] == [["first@lydec.example.ma"]]
    assert last_entry("partner.invitation_sent").details["email_to"] == "first@lydec.example.ma"


def test_deleting_an_invitation_in_the_admin_revokes_it_on_record(client, staff):
    partner = PartnerFactory.create()
    client.post(
        reverse("admin:partners_partnerinvitation_add"),
        {"partner": partner.pk, "email": "first@lydec.example.ma", "role": "owner"},
    )
    invitation = PartnerInvitation.objects.get()

    client.post(reverse("admin:partners_partnerinvitation_delete", args=[invitation.pk]), {"post": "yes"})

    assert not PartnerInvitation.objects.exists()
    assert last_entry("partner.invitation_revoked").details["email_to"] == "first@lydec.example.ma"


def test_bulk_delete_from_the_list_goes_through_the_service(client, staff):
    themes = [ThemeFactory.create() for _ in range(3)]
    url = reverse("admin:challenges_theme_changelist")

    client.post(
        url, {"action": "delete_selected", "index": "0", "_selected_action": [t.pk for t in themes], "post": "yes"}
    )

    assert AuditEntry.objects.filter(action="theme.deleted").count() == 3


def test_arabic_inputs_of_the_admin_are_right_to_left(client, staff):
    html = client.get(reverse("admin:challenges_challenge_add")).content.decode()
    assert 'name="title_ar"' in html
    tag = html[html.rindex("<", 0, html.index('name="title_ar"')) : html.index(">", html.index('name="title_ar"'))]
    assert 'dir="rtl"' in tag
    assert 'lang="ar"' in tag
