"""Reads of the startup side that other pages compose (an edition's page, a challenge's, a partner's, My space)."""

from typing import Any

from django.db.models import QuerySet

from challenges.models import Challenge, Program
from partners.models import Partner

from .models import Selection, SelectionQuerySet, StartupMembership


def public_selections(
    *, program: Program | None = None, challenge: Challenge | None = None, sponsor: Partner | None = None
) -> SelectionQuerySet:
    """Selections of published editions, optionally of one edition, challenge or sponsoring partner."""
    selections = Selection.objects.public().for_listing()
    filters = {"program": program, "challenge": challenge, "sponsor": sponsor}
    return selections.filter(**{name: value for name, value in filters.items() if value is not None})


def startup_memberships_of(user: Any) -> QuerySet[StartupMembership]:
    return StartupMembership.objects.filter(user=user).select_related("startup").order_by("startup__name")
