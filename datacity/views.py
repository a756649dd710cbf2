""" "My space": the page each person lands on after logging in. Like the root URLconf, this composes the domain
apps (it sits above them); the cross-cutting apps under datacity/ know nothing of them."""

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import render

from challenges.models import Challenge, ChallengeStatus, JuryMembership, Program
from datasets.models import Dataset
from partners.models import Partner, PartnerMembership
from startups.models import Selection, StartupMembership


@login_required
def my_space(request):
    user = request.user
    context = {
        "startup_memberships": StartupMembership.objects.filter(user=user)
        .select_related("startup")
        .order_by("startup__name"),
        "partner_memberships": PartnerMembership.objects.filter(user=user)
        .select_related("partner")
        .prefetch_related(
            Prefetch(
                "partner__owned_challenges",
                queryset=Challenge.objects.select_related("program").order_by("-program__starts_on", "title"),
            ),
            Prefetch("partner__datasets", queryset=Dataset.objects.order_by("title")),
        )
        .order_by("partner__name"),
        "jury_memberships": JuryMembership.objects.filter(user=user)
        .select_related("program")
        .order_by("-program__starts_on"),
    }
    if user.is_staff:
        context["figures"] = {
            "programs": Program.objects.count(),
            "published_challenges": Challenge.objects.filter(status=ChallengeStatus.PUBLISHED).count(),
            "selected_startups": Selection.objects.count(),
            "partners": Partner.objects.count(),
        }
    return render(request, "my_space.html", context)
