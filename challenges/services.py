"""Writes that matter on the program side; views, admin, tasks and tests all go through these."""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction

from datacity.accounts.roles import JURY
from datacity.core.organisations import Space, invitation_accept, membership_remove
from datacity.core.services import audited_save

from . import clock
from .models import Challenge, ChallengeStatus, JuryInvitation, JuryMembership, Phase, PhaseTransition

JURY_SPACE = Space(
    name="jury",
    organisation_field="program",
    membership_model=JuryMembership,
    invitation_model=JuryInvitation,
    accept_url_name="challenges:jury_invitation_accept",
)


def phase_tick(*, now: datetime | None = None, catch_up: timedelta | None = clock.CATCH_UP) -> list[PhaseTransition]:
    """Run the program clock once (challenges.clock.tick): the transitions it recorded, in order.

    Status itself is always derived from the dates; this leaves a trace once per change, writes the notices it
    implies and the reminders that are due. Idempotent, serialised by a database lock (two ticks at once record
    each change once), and it catches up after downtime.
    """
    transitions, _runs = clock.tick(now=now, catch_up=catch_up)
    return transitions


@transaction.atomic
def phase_save(*, phase: Phase, actor: Any, m2m: Mapping[str, Any] | None = None, now: datetime | None = None) -> Phase:
    """Create or change a phase. When its dates move, everyone already told about it is told of the new dates; the
    clock's transitions and reminders follow the new dates by themselves (they are computed from them)."""
    was = Phase.objects.filter(pk=phase.pk).values_list("starts_at", "ends_at").first() if phase.pk else None
    audited_save(instance=phase, actor=actor, m2m=m2m)
    if was is not None and was != (phase.starts_at, phase.ends_at):
        clock.announce_new_dates(phase, was=was, now=now)
    return phase


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
