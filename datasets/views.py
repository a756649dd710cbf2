"""Pages of the data catalogue: the public list with search and filters, a dataset's page (metadata, the visitor's
access, schema.org JSON-LD), the DCAT-AP export, and the forms partners' members edit their datasets with."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.postgres.aggregates import ArrayAgg
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_filters.views import FilterView

from challenges import selectors as challenge_selectors
from challenges.models import Challenge
from datacity.pagecache import public_page

from . import catalogue, permissions, services
from .filters import DatasetFilter
from .forms import DatasetForm


@public_page
class DatasetListView(FilterView):
    filterset_class = DatasetFilter
    template_name = "datasets/dataset_list.html"
    context_object_name = "datasets"
    paginate_by = 24

    def get_queryset(self):
        # Each card names its files' formats: one array per dataset, aggregated by the database in the same query.
        formats = ArrayAgg("distributions__format", distinct=True, order_by="distributions__format", default=[])
        return permissions.datasets_visible_to(self.request.user).for_listing().annotate(formats=formats)

    def get_context_data(self, **kwargs):
        # Where a partner's members add a dataset: from the catalogue they see it in.
        publishing_for = permissions.partners_publishing_for(self.request.user)
        return super().get_context_data(publishing_for=publishing_for, **kwargs)


@public_page
def dataset_detail(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = permissions.access_dataset(request.user, slug)
    context = {
        "dataset": dataset,
        "challenges": challenge_selectors.published_challenges(dataset=dataset),
        "access": permissions.file_access(request.user, dataset),
        "can_edit": permissions.can_edit(request.user, dataset),
        "schema_org": catalogue.schema_org_dataset(dataset),
    }
    return render(request, "datasets/dataset_detail.html", context)


@login_required
def dataset_create(request: HttpRequest, partner_slug: str) -> HttpResponse:
    """A partner's members add a dataset to its catalogue."""
    partner = permissions.partner_publishing_as(request.user, partner_slug)
    form = DatasetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        dataset = services.dataset_create(
            owner=partner, actor=request.user, data=form.service_data(), challenges=form.cleaned_data["challenges"]
        )
        messages.success(request, _("The dataset is published in the catalogue."))
        return redirect(dataset)
    context = {"form": form, "partner": partner, "dataset": None}
    return render(request, "datasets/dataset_form.html", context, status=400 if form.errors else 200)


@login_required
def dataset_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """The owner partner's members edit a dataset's metadata."""
    dataset = permissions.access_dataset(request.user, slug, as_member=True)
    form = DatasetForm(request.POST or None, instance=dataset)
    if request.method == "POST" and form.is_valid():
        challenges = None
        if "challenges" in form.changed_data:
            # Links staff made to challenges not published yet are not in the form: they stay.
            hidden = dataset.challenges.exclude(pk__in=Challenge.objects.published().values("pk"))
            challenges = [*form.cleaned_data["challenges"], *hidden]
        services.dataset_update(dataset=dataset, actor=request.user, data=form.service_data(), challenges=challenges)
        messages.success(request, _("The dataset is saved."))
        return redirect(dataset)
    context = {"form": form, "partner": dataset.owner, "dataset": dataset}
    return render(request, "datasets/dataset_form.html", context, status=400 if form.errors else 200)


@public_page
@require_GET
def catalog_jsonld(request: HttpRequest) -> HttpResponse:
    """The whole catalogue as DCAT-AP 3 JSON-LD, for harvesters (data.europa.eu, national portals)."""
    body = catalogue.dcat_catalog().serialize(format="json-ld", auto_compact=True)
    response = HttpResponse(body, content_type="application/ld+json; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response
