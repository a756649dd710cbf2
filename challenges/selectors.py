"""Reads of the program side that other apps' pages compose (My space, a partner's page), with their joins."""

from datetime import datetime
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from partners.models import Partner

from .models import (
    Challenge,
    ChallengeQuerySet,
    JuryInvitation,
    JuryMembership,
    Phase,
    PhaseKind,
    Program,
    ProgramQuerySet,
)


def published_challenges(*, program: Program | None = None, dataset: Any = None) -> ChallengeQuerySet:
    """Published challenges, optionally of one edition, or served by one dataset."""
    challenges = Challenge.objects.published().for_listing()
    if program is not None:
        challenges = challenges.filter(program=program)
    if dataset is not None:
        challenges = challenges.filter(datasets=dataset)
    return challenges


def partner_public_challenges(partner: Partner) -> tuple[ChallengeQuerySet, ChallengeQuerySet]:
    """A partner's published challenges: those it poses, and those it co-sponsors."""
    published = Challenge.objects.published().select_related("program", "owner").order_by("-program__starts_on")
    return published.filter(owner=partner), published.filter(co_sponsors=partner)


def challenges_owned_by(partner_ids: list[int]) -> dict[int, list[Challenge]]:
    """Every challenge (drafts included) each of these partners owns: one query whatever their number."""
    owned: dict[int, list[Challenge]] = {pk: [] for pk in partner_ids}
    challenges = Challenge.objects.filter(owner__in=partner_ids).select_related("program")
    for challenge in challenges.order_by("-program__starts_on", "title"):
        owned[challenge.owner_id].append(challenge)
    return owned


def jury_memberships_of(user: Any) -> QuerySet[JuryMembership]:
    """A juror's editions, each with its selection phases (what My space says of the selection comes from them)."""
    selection_phases = Phase.objects.filter(kind=PhaseKind.SELECTION).order_by("order", "starts_at")
    return (
        JuryMembership.objects.filter(user=user)
        .select_related("program")
        .prefetch_related(Prefetch("program__phases", queryset=selection_phases, to_attr="selection_phases"))
        .order_by("-program__starts_on")
    )


def programs_for_staff() -> ProgramQuerySet:
    """Every edition, published or not, latest first: the staff dashboards there are."""
    return Program.objects.order_by("-starts_on", "name")


def challenge_counts_by_status(program: Program) -> dict[str, int]:
    """How many challenges of the edition are in each status: one query."""
    rows = Challenge.objects.filter(program=program).values("status").annotate(count=Count("pk")).order_by()
    return {row["status"]: row["count"] for row in rows}


def program_partner_ids(program: Program) -> list[int]:
    """The partners that pose or co-sponsor a challenge of the edition: one query."""
    co_sponsored = Challenge.co_sponsors.through.objects.filter(challenge__program=program).values("partner_id")
    owning = Challenge.objects.filter(program=program).values("owner_id")
    return list(Partner.objects.filter(Q(pk__in=owning) | Q(pk__in=co_sponsored)).values_list("pk", flat=True))


def pending_jury_invitations(
    program: Program, *, valid_at: datetime, expiring_by: datetime | None = None
) -> QuerySet[JuryInvitation]:
    """Jury invitations of the edition neither accepted nor expired at `valid_at` (expiring by `expiring_by`)."""
    invitations = JuryInvitation.objects.filter(program=program, accepted_at__isnull=True, expires_at__gt=valid_at)
    return invitations.filter(expires_at__lte=expiring_by) if expiring_by is not None else invitations
