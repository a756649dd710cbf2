"""Public pages of the selected startups."""

from django.shortcuts import get_object_or_404, render
from django.views.generic import ListView

from .models import Sector, Startup


class StartupListView(ListView):
    template_name = "startups/startup_list.html"
    context_object_name = "startups"
    paginate_by = 24

    def get_queryset(self):
        queryset = Startup.objects.selected().for_listing()
        sector = self.request.GET.get("sector")
        if sector in Sector.values:
            queryset = queryset.filter(sector=sector)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sectors"] = Sector.choices
        context["current_sector"] = self.request.GET.get("sector", "")
        return context


def startup_detail(request, slug: str):
    startup = get_object_or_404(Startup.objects.selected().for_listing(), slug=slug)
    return render(request, "startups/startup_detail.html", {"startup": startup})
