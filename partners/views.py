"""Pages of the partners: the public list, and for their people, members, the public profile and the applications
sent to their challenges."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.generic import ListView

from datacity.core.organisation_views import AcceptInvitationView, MembersView
from startups import permissions as startup_permissions

from . import permissions, services
from .forms import PartnerProfileForm


class PartnerListView(ListView):
    template_name = "partners/partner_list.html"
    context_object_name = "partners"
    paginate_by = 48

    def get_queryset(self):
        return permissions.partners_visible_to(self.request.user).for_listing()


@login_required
def partner_edit(request, slug: str):
    """The partner's owners edit its public profile."""
    partner = permissions.access_partner(request.user, slug, as_owner=True)
    form = PartnerProfileForm(request.POST or None, request.FILES or None, instance=partner)
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        services.partner_profile_update(partner=partner, actor=request.user, data=changed)
        messages.success(request, _("The public profile of %(name)s is saved.") % {"name": partner.name})
        return redirect("partners:detail", slug=partner.slug)
    context = {"form": form, "partner": partner}
    return render(request, "partners/partner_form.html", context, status=400 if form.errors else 200)


@login_required
def partner_applications(request, slug: str):
    """The members of a partner read the applications sent to the challenges it owns (drafts and withdrawn ones
    are the startups' alone), grouped by challenge; each leads to the application's read-only page."""
    partner = permissions.access_partner(request.user, slug, as_member=True)
    applications = (
        startup_permissions.applications_for_partner(request.user)
        .filter(challenge__owner=partner)
        .select_related("startup", "challenge__program")
        .order_by("-challenge__program__starts_on", "challenge_id", "startup__name", "pk")
    )
    return render(request, "partners/partner_applications.html", {"partner": partner, "applications": applications})


class PartnerMembersView(MembersView):
    space = services.PARTNER_SPACE

    def organisations_of_member(self, user):
        return permissions.partners_of_member(user)


class PartnerInvitationView(AcceptInvitationView):
    space = services.PARTNER_SPACE
