"""Public pages of the program side: home, an edition's timeline, the challenge list and a challenge."""

from django.shortcuts import render
from django.views.generic import DetailView
from django_filters.views import FilterView

from datacity.core.access import get_visible_or_404
from datacity.core.organisation_views import AcceptInvitationView

from . import permissions, services
from .filters import ChallengeFilter
from .models import Challenge, Program

FEATURED_ON_HOME = 6


def home(request):
    program = Program.objects.published().with_phases().current()
    featured = []
    if program:
        published = Challenge.objects.published().filter(program=program).for_listing()
        featured = list(published.filter(is_featured=True)[:FEATURED_ON_HOME]) or list(published[:FEATURED_ON_HOME])
    return render(request, "home.html", {"program": program, "featured": featured})


class ProgramDetailView(DetailView):
    template_name = "challenges/program_detail.html"
    context_object_name = "program"

    def get_object(self, queryset=None):
        visible = permissions.programs_visible_to(self.request.user).with_phases()
        return get_visible_or_404(self.request, visible, slug=self.kwargs["slug"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["challenges"] = Challenge.objects.published().filter(program=self.object).for_listing()
        context["selections"] = self.object.selections.select_related("startup", "sponsor", "challenge").order_by(
            "startup__name"
        )
        return context


class ChallengeListView(FilterView):
    filterset_class = ChallengeFilter
    template_name = "challenges/challenge_list.html"
    context_object_name = "challenges"
    paginate_by = 24

    def get_queryset(self):
        return Challenge.objects.published().for_listing()


def challenge_detail(request, slug: str):
    visible = permissions.challenges_visible_to(request.user).for_detail()
    challenge = get_visible_or_404(request, visible, slug=slug)
    # Datasets and selections live in apps above this one: reached through their reverse relations, not imports.
    public_datasets = challenge.datasets.public().select_related("owner")
    selections = challenge.selections.filter(program__is_published=True).select_related("startup", "sponsor")
    return render(
        request,
        "challenges/challenge_detail.html",
        {"challenge": challenge, "selections": selections, "public_datasets": public_datasets},
    )


class JuryInvitationView(AcceptInvitationView):
    space = services.JURY_SPACE

    def accept(self, *, token, user, request):
        return services.jury_invitation_accept(token=token, user=user, request=request)
