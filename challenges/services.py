"""Writes that matter on the program side; views, admin, tasks and tests all go through these."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from datacity.accounts.roles import JURY
from datacity.core.organisations import Space, invitation_accept, membership_remove
from datacity.core.services import audited_save

from .models import Challenge, ChallengeStatus, JuryInvitation, JuryMembership, Phase, PhaseStatus, PhaseTransition

JURY_SPACE = Space(
    name="jury",
    organisation_field="program",
    membership_model=JuryMembership,
    invitation_model=JuryInvitation,
    accept_url_name="challenges:jury_invitation_accept",
)


@transaction.atomic
def phase_tick(*, now: datetime | None = None) -> list[PhaseTransition]:
    """Record every phase opening and closing that has happened by `now` and was not recorded yet; return them
    (a transition another worker recorded in the same instant may be among them and is then not written twice).

    Status itself is always derived from the dates; this only leaves a trace
    once per transition. Idempotent and safe under concurrency: the unique (phase, status) constraint plus
    `ignore_conflicts` means a second tick, or two workers at once, add nothing. After downtime it catches up:
    a phase that opened and closed while nothing ran gets both transitions.
    """
    now = now or timezone.now()
    started = Phase.objects.filter(starts_at__lte=now).exclude(transitions__status=PhaseStatus.OPEN)
    ended = Phase.objects.filter(ends_at__lte=now).exclude(transitions__status=PhaseStatus.CLOSED)
    pending = [
        PhaseTransition(phase_id=pk, status=PhaseStatus.OPEN, recorded_at=now)
        for pk in started.values_list("pk", flat=True)
    ]
    pending += [
        PhaseTransition(phase_id=pk, status=PhaseStatus.CLOSED, recorded_at=now)
        for pk in ended.values_list("pk", flat=True)
    ]
    if not pending:
        return []
    PhaseTransition.objects.bulk_create(pending, ignore_conflicts=True)
    return pending


def jury_role_sync(user: Any) -> None:
    """The Jury group (which requires two-factor authentication and, later, gives scoring rights) follows the jury
    memberships: a person is in it exactly while they sit on at least one jury."""
    group = Group.objects.get_or_create(name=JURY)[0]
    if JuryMembership.objects.filter(user=user).exists():
        user.groups.add(group)
    else:
        user.groups.remove(group)


@transaction.atomic
def jury_invitation_accept(*, token: str, user: Any) -> JuryMembership:
    """Accept a jury invitation: the person joins the edition's jury and the Jury group."""
    membership = invitation_accept(space=JURY_SPACE, token=token, user=user)
    jury_role_sync(user)
    return membership


@transaction.atomic
def jury_member_remove(*, membership: JuryMembership, actor: Any) -> None:
    """Take a juror off an edition's jury, and out of the Jury role if it was their last jury."""
    user = membership.user
    membership_remove(space=JURY_SPACE, membership=membership, actor=actor)
    jury_role_sync(user)


@transaction.atomic
def challenge_save(*, challenge: Challenge, actor: Any, m2m: Mapping[str, Any] | None = None) -> Challenge:
    """Create or change a challenge; publishing or unpublishing it is recorded as such."""
    was = Challenge.objects.filter(pk=challenge.pk).values_list("status", flat=True).first() if challenge.pk else None
    action = ""
    if was is not None and challenge.status != was:
        action = "challenge.published" if challenge.status == ChallengeStatus.PUBLISHED else "challenge.unpublished"
    audited_save(instance=challenge, actor=actor, m2m=m2m, action=action)
    return challenge


def challenge_set_status(*, challenge: Challenge, status: str, actor: Any) -> Challenge:
    """Publish or unpublish a challenge (staff's list actions)."""
    challenge.status = status
    return challenge_save(challenge=challenge, actor=actor)
