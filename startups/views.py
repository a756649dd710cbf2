"""Pages of the startups: the public list and profile, and, for members, creating, editing and members."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import ListView

from datacity.core.organisation_views import AcceptInvitationView, MembersView
from datacity.pagecache import public_page

from . import permissions, services
from .forms import StartupForm
from .models import Sector


@public_page
class StartupListView(ListView):
    template_name = "startups/startup_list.html"
    context_object_name = "startups"
    paginate_by = 24

    def get_queryset(self):
        queryset = permissions.startups_visible_to(self.request.user).for_listing()
        sector = self.request.GET.get("sector")
        if sector in Sector.values:
            queryset = queryset.filter(sector=sector)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sectors"] = Sector.choices
        context["current_sector"] = self.request.GET.get("sector", "")
        return context


@public_page
def startup_detail(request, slug: str):
    startup = permissions.access_startup(request.user, slug)
    is_member = permissions.is_member(request.user, startup)
    return render(request, "startups/startup_detail.html", {"startup": startup, "is_member": is_member})


@login_required
def startup_create(request):
    form = StartupForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        startup = services.startup_create(actor=request.user, data=form.cleaned_data)
        messages.success(request, _("%(name)s is created: you are its owner.") % {"name": startup.name})
        # Back to where the founder was going (applying to a challenge), if that is a page of this site.
        next_url = request.GET.get("next", "")
        if next_url.startswith("/") and url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
            return redirect(next_url)
        return redirect("startups:detail", slug=startup.slug)
    return render(request, "startups/startup_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def startup_edit(request, slug: str):
    startup = permissions.access_startup(request.user, slug, as_member=True)
    form = StartupForm(request.POST or None, request.FILES or None, instance=startup)
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        services.startup_update(startup=startup, actor=request.user, data=changed)
        messages.success(request, _("The profile of %(name)s is saved.") % {"name": startup.name})
        return redirect("startups:edit", slug=startup.slug)
    context = {"form": form, "startup": startup}
    return render(request, "startups/startup_form.html", context, status=400 if form.errors else 200)


class StartupMembersView(MembersView):
    space = services.STARTUP_SPACE

    def organisations_of_member(self, user):
        return permissions.startups_of_member(user)


class StartupInvitationView(AcceptInvitationView):
    space = services.STARTUP_SPACE
