"""Who sees which edition and challenge: everyone sees what is published; a partner's members also see the draft
challenges their organisation owns or co-sponsors (to review them before publication)."""

from django.db.models import Q

from .models import Challenge, ChallengeStatus, Program


def programs_visible_to(user):
    return Program.objects.published()


def challenges_visible_to(user):
    published = Q(status=ChallengeStatus.PUBLISHED, program__is_published=True)
    if not user.is_authenticated:
        return Challenge.objects.filter(published)
    # Subqueries on the partners' memberships, not joins: no duplicate rows, no DISTINCT.
    partner_ids = user.partners.values("pk")
    co_sponsored = Challenge.co_sponsors.through.objects.filter(partner__in=partner_ids).values("challenge_id")
    return Challenge.objects.filter(published | Q(owner__in=partner_ids) | Q(pk__in=co_sponsored))
