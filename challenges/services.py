"""Writes that matter on the program side; views, admin, tasks and tests all go through these."""

from datetime import datetime

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from datacity.accounts.roles import JURY
from datacity.core.organisations import Space, invitation_accept

from .models import JuryInvitation, JuryMembership, Phase, PhaseStatus, PhaseTransition

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

    Status itself is always derived from the dates; this only leaves a trace (and, in a later issue, the notices)
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


@transaction.atomic
def jury_invitation_accept(*, token: str, user, request=None):
    """Accept a jury invitation: the person joins the edition's jury and the Jury group (which requires 2FA)."""
    membership = invitation_accept(space=JURY_SPACE, token=token, user=user, request=request)
    user.groups.add(Group.objects.get_or_create(name=JURY)[0])
    return membership
