"""Reads of the partner side that other pages compose (My space, the staff dashboard)."""

from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet

from .models import Partner, PartnerInvitation, PartnerMembership, PartnerQuerySet


def partner_memberships_of(user: Any) -> QuerySet[PartnerMembership]:
    return PartnerMembership.objects.filter(user=user).select_related("partner").order_by("partner__name")


def partner_count() -> int:
    return Partner.objects.count()


def partners_without_members() -> PartnerQuerySet:
    return Partner.objects.filter(memberships__isnull=True)


def partners_with_member_counts(partner_ids: list[int]) -> PartnerQuerySet:
    """These partners, by name, each with `member_count`: one query whatever their number."""
    return Partner.objects.filter(pk__in=partner_ids).annotate(member_count=Count("memberships")).order_by("name")


def pending_partner_invitations(
    *, valid_at: datetime, expiring_by: datetime | None = None
) -> QuerySet[PartnerInvitation]:
    """Partner invitations neither accepted nor expired at `valid_at` (and expiring by `expiring_by`, if given)."""
    invitations = PartnerInvitation.objects.filter(accepted_at__isnull=True, expires_at__gt=valid_at)
    return invitations.filter(expires_at__lte=expiring_by) if expiring_by is not None else invitations
