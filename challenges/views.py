"""Public pages of the program side: home, the list of editions, the challenge list and the jury's invitations."""

from django.shortcuts import render
from django.views.generic import ListView
from django_filters.views import FilterView

from datacity.core.organisation_views import AcceptInvitationView
from datacity.pagecache import public_page

from . import permissions, services
from .filters import ChallengeFilter
from .models import Challenge

FEATURED_ON_HOME = 6


@public_page
def home(request):
    """The edition people should act on (running, else the next one, else the last one) and its featured
    challenges."""
    program = permissions.programs_visible_to(request.user).with_phases().current()
    featured = []
    if program:
        published = Challenge.objects.published().filter(program=program).for_listing()
        featured = list(published.filter(is_featured=True)[:FEATURED_ON_HOME]) or list(published[:FEATURED_ON_HOME])
    context = {"program": program, "state": program.state() if program else None, "featured": featured}
    return render(request, "home.html", context)


@public_page
class ProgramListView(ListView):
    """Every published edition, the latest first, each with its dates and where it stands."""

    template_name = "challenges/program_list.html"
    context_object_name = "programs"
    paginate_by = 20

    def get_queryset(self):
        return permissions.programs_visible_to(self.request.user).with_phases().order_by("-starts_on", "name")


@public_page
class ChallengeListView(FilterView):
    filterset_class = ChallengeFilter
    template_name = "challenges/challenge_list.html"
    context_object_name = "challenges"
    paginate_by = 24

    def get_queryset(self):
        return permissions.challenges_visible_to(self.request.user).for_listing()


class JuryInvitationView(AcceptInvitationView):
    space = services.JURY_SPACE

    def accept(self, *, token, user):
        return services.jury_invitation_accept(token=token, user=user)
