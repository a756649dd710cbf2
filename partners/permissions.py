"""Who sees which partner: the public sees public partners; members see their own organisation too."""

from django.db.models import Q

from datacity.core.models import MembershipRole

from .models import Partner


def partners_visible_to(user):
    if user.is_authenticated:
        return Partner.objects.filter(Q(is_public=True) | Q(memberships__user=user)).distinct()
    return Partner.objects.public()


def partners_of_member(user):
    if not user.is_authenticated:
        return Partner.objects.none()
    return Partner.objects.filter(memberships__user=user)


def partners_of_owner(user):
    if not user.is_authenticated:
        return Partner.objects.none()
    return Partner.objects.filter(memberships__user=user, memberships__role=MembershipRole.OWNER)
