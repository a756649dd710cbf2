"""Who sees which startup, and who may act on it: the public sees startups selected in a published edition;
members see their own; owners manage them. Lists filter with these querysets; pages fetch through `access_startup`."""

from typing import Any

from django.db.models import Q

from datacity.core.access import visible_or_404
from datacity.core.models import MembershipRole

from .models import Startup, StartupMembership, StartupQuerySet


def startups_visible_to(user: Any) -> StartupQuerySet:
    public = Q(pk__in=Startup.objects.selected().values("pk"))
    if not user.is_authenticated:
        return Startup.objects.filter(public)
    own = StartupMembership.objects.filter(user=user).values("startup_id")
    return Startup.objects.filter(public | Q(pk__in=own))


def startups_of_member(user: Any, *, as_owner: bool = False) -> StartupQuerySet:
    """The startups `user` belongs to (as an owner only, with `as_owner`)."""
    if not user.is_authenticated:
        return Startup.objects.none()
    memberships = StartupMembership.objects.filter(user=user)
    if as_owner:
        memberships = memberships.filter(role=MembershipRole.OWNER)
    return Startup.objects.filter(pk__in=memberships.values("startup_id"))


def access_startup(user: Any, slug: str, *, as_member: bool = False, as_owner: bool = False) -> Startup:
    """The startup `slug` if `user` may see it (or act on it as a member / an owner); 404 otherwise, audited."""
    if as_member or as_owner:
        return visible_or_404(startups_of_member(user, as_owner=as_owner), slug=slug)
    return visible_or_404(startups_visible_to(user).for_listing(), slug=slug)


def is_member(user: Any, startup: Startup) -> bool:
    return startups_of_member(user).filter(pk=startup.pk).exists()
