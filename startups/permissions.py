"""Who sees which startup: the public sees startups selected in a published edition; members see their own."""

from django.db.models import Q

from datacity.core.models import MembershipRole

from .models import Startup


def startups_visible_to(user):
    public = Q(pk__in=Startup.objects.selected().values("pk"))
    if user.is_authenticated:
        return Startup.objects.filter(public | Q(memberships__user=user)).distinct()
    return Startup.objects.filter(public)


def startups_of_member(user):
    """Startups `user` belongs to: their profile, members and invitations pages."""
    if not user.is_authenticated:
        return Startup.objects.none()
    return Startup.objects.filter(memberships__user=user)


def startups_of_owner(user):
    if not user.is_authenticated:
        return Startup.objects.none()
    return Startup.objects.filter(memberships__user=user, memberships__role=MembershipRole.OWNER)
