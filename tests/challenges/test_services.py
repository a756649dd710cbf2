"""Program-side services: publishing a challenge and the jury role, on record."""

import pytest
from django.contrib.auth.models import Group

from challenges import services
from challenges.models import ChallengeStatus, JuryMembership
from datacity.accounts.roles import JURY
from datacity.audit.models import AuditEntry
from datacity.core.organisations import invitation_create
from tests.factories import ChallengeFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_publishing_and_unpublishing_a_challenge_are_recorded_as_such():
    challenge = ChallengeFactory.create(status=ChallengeStatus.DRAFT)
    staff = UserFactory.create(is_staff=True)

    services.challenge_set_status(challenge=challenge, status=ChallengeStatus.PUBLISHED, actor=staff)
    services.challenge_set_status(challenge=challenge, status=ChallengeStatus.DRAFT, actor=staff)

    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["challenge.published", "challenge.unpublished"]


def test_many_to_many_changes_are_recorded_by_primary_key():
    challenge = ChallengeFactory.create()
    sponsor = challenge.owner.__class__.objects.create(name="Casa Tram", slug="casa-tram")

    services.challenge_save(challenge=challenge, actor=UserFactory.create(), m2m={"co_sponsors": [sponsor]})

    changes = AuditEntry.objects.get(action="challenge.updated").details["changes"]
    assert changes == {"co_sponsors": {"from": [], "to": [sponsor.pk]}}
    assert list(challenge.co_sponsors.all()) == [sponsor]


def test_the_jury_role_follows_the_jury_memberships():
    program = ProgramFactory.create()
    juror = UserFactory.create(email="juror@example.org")
    _, token = invitation_create(
        space=services.JURY_SPACE, organisation=program, email=juror.email, role="member", actor=None
    )

    services.jury_invitation_accept(token=token, user=juror)
    assert juror.groups.filter(name=JURY).exists()

    services.jury_member_remove(
        membership=JuryMembership.objects.get(user=juror), actor=UserFactory.create(is_staff=True)
    )
    assert not juror.groups.filter(name=JURY).exists()
    assert Group.objects.filter(name=JURY).exists()
    assert AuditEntry.objects.filter(action="jury.member_removed").count() == 1
