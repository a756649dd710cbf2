"""Pages of the partners: the public list, and for their people, members and the public profile (the applications
sent to their challenges are a composed page: they read the startups' rules)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.generic import ListView

from datacity.core.organisation_views import AcceptInvitationView, MembersView
from datacity.pagecache import public_page

from . import permissions, services
from .forms import PartnerProfileForm


@public_page
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


class PartnerMembersView(MembersView):
    space = services.PARTNER_SPACE

    def organisations_of_member(self, user):
        return permissions.partners_of_member(user)


class PartnerInvitationView(AcceptInvitationView):
    space = services.PARTNER_SPACE
