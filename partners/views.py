"""Public pages of the partners: who they are and what they bring to the program."""

from django.shortcuts import render
from django.views.generic import ListView

from datacity.core.access import get_visible_or_404
from datacity.core.organisation_views import AcceptInvitationView, MembersView

from . import permissions, services
from .models import Partner


class PartnerListView(ListView):
    template_name = "partners/partner_list.html"
    context_object_name = "partners"
    paginate_by = 48

    def get_queryset(self):
        return Partner.objects.public().for_listing()


def partner_detail(request, slug: str):
    partner = get_visible_or_404(request, permissions.partners_visible_to(request.user), slug=slug)
    # Challenges, datasets and selections belong to apps above this one: reached through reverse relations.
    context = {
        "partner": partner,
        "owned_challenges": partner.owned_challenges.published().select_related("program"),
        "co_sponsored_challenges": partner.co_sponsored_challenges.published().select_related("program", "owner"),
        "public_datasets": partner.datasets.public(),
        "sponsored_selections": partner.sponsored_selections.filter(program__is_published=True)
        .select_related("startup", "program")
        .order_by("-program__starts_on", "startup__name"),
    }
    return render(request, "partners/partner_detail.html", context)


class PartnerMembersView(MembersView):
    space = services.PARTNER_SPACE

    def organisations_of_member(self, user):
        return permissions.partners_of_member(user)


class PartnerInvitationView(AcceptInvitationView):
    space = services.PARTNER_SPACE
