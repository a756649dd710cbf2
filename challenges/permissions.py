"""Who sees which edition and challenge: everyone sees what is published; a partner's members also see the draft
challenges their organisation owns or co-sponsors (to review them before publication)."""

from typing import Any

from datacity.core.access import visible_or_404
from partners.permissions import partners_of_member

from .models import Challenge, ChallengeQuerySet, Program, ProgramQuerySet


def programs_visible_to(user: Any) -> ProgramQuerySet:
    return Program.objects.published()


def challenges_visible_to(user: Any) -> ChallengeQuerySet:
    published = Challenge.objects.published()
    if not user.is_authenticated:
        return published
    return published | Challenge.objects.of_partners(partners_of_member(user))


def access_program(user: Any, slug: str) -> Program:
    return visible_or_404(programs_visible_to(user).with_phases(), slug=slug)


def access_challenge(user: Any, slug: str) -> Challenge:
    return visible_or_404(challenges_visible_to(user).for_detail(), slug=slug)


def programs_managed_by(user: Any) -> ProgramQuerySet:
    """Every edition, published or not, for staff; none for anyone else (the staff dashboard's rule)."""
    if not (user.is_authenticated and user.is_staff):
        return Program.objects.none()
    return Program.objects.all()


def access_program_as_staff(user: Any, slug: str) -> Program:
    """The edition `slug` with its phases for staff; 404 for anyone else, audited."""
    return visible_or_404(programs_managed_by(user).with_phases(), slug=slug)
