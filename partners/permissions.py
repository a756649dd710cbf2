"""Who sees which partner, and who may act for it: the public sees public partners; members see their own
organisation too; owners manage it. Lists filter with these querysets; pages fetch through `access_partner`."""

from typing import Any

from django.db.models import Q

from datacity.core.access import visible_or_404
from datacity.core.models import MembershipRole

from .models import Partner, PartnerMembership, PartnerQuerySet


def partners_of_member(user: Any, *, as_owner: bool = False) -> PartnerQuerySet:
    """The partners `user` acts for (as an owner only, with `as_owner`)."""
    if not user.is_authenticated:
        return Partner.objects.none()
    memberships = PartnerMembership.objects.filter(user=user)
    if as_owner:
        memberships = memberships.filter(role=MembershipRole.OWNER)
    return Partner.objects.filter(pk__in=memberships.values("partner_id"))


def partners_visible_to(user: Any) -> PartnerQuerySet:
    if not user.is_authenticated:
        return Partner.objects.public()
    return Partner.objects.filter(Q(is_public=True) | Q(pk__in=partners_of_member(user).values("pk")))


def access_partner(user: Any, slug: str, *, as_member: bool = False, as_owner: bool = False) -> Partner:
    """The partner `slug` if `user` may see it (or act for it as a member / an owner); 404 otherwise, audited."""
    if as_member or as_owner:
        return visible_or_404(partners_of_member(user, as_owner=as_owner), slug=slug)
    return visible_or_404(partners_visible_to(user), slug=slug)


def is_owner(user: Any, partner: Partner) -> bool:
    """Whether `user` may edit the partner's public profile and manage its members."""
    return partners_of_member(user, as_owner=True).filter(pk=partner.pk).exists()
