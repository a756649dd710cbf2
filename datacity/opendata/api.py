"""The read-only JSON API: the public pages' objects for programs, under the pages' own visibility rules.

Each endpoint reads through the function that decides what a page shows (`challenges_visible_to`,
`datasets_visible_to`, `experiments_visible_to`...), so the API never shows more than the pages: a partner's member
sees its draft challenges here as on the site, a startup's member its own experiments, and an object out of reach is a
404 (audited when it exists), as on the pages. Every list makes the same number of queries whatever its length.
"""

from typing import Any

import django_filters
from django.db.models import Count, Max, Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets

from challenges.models import Challenge, Program
from challenges.permissions import challenges_visible_to, programs_visible_to
from datacity.core.access import visible_or_404
from datasets.models import AccessLevel, Dataset, DataTheme, Distribution, Licence
from datasets.permissions import datasets_visible_to
from partners.models import Partner, PartnerKind
from partners.permissions import partners_visible_to
from startups.models import Deliverable, Indicator, Measurement, Selection
from startups.partnerships import public_partnerships
from startups.permissions import experiments_visible_to
from startups.results import with_summary
from startups.selectors import public_selections

from . import serializers


class OpenData(viewsets.GenericViewSet):
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Open data is read from other sites' scripts; a `*` origin never carries the visitor's cookies along.
        response["Access-Control-Allow-Origin"] = "*"
        return response


# A list and a detail, the detail fetched through the list's visibility rule: 404 out of reach, audited. (A comment,
# not a docstring: the OpenAPI description would show it to every client.)
class ReadOnly(mixins.ListModelMixin, mixins.RetrieveModelMixin, OpenData):
    def get_object(self) -> Any:
        lookup = self.lookup_url_kwarg or self.lookup_field
        return visible_or_404(self.get_queryset(), **{self.lookup_field: self.kwargs[lookup]})


# --- Filters (every value checked: a wrong one is a 400 naming it) ------------------------------------------------


class ChallengeFilter(django_filters.FilterSet):
    edition = django_filters.CharFilter(field_name="program__slug", help_text="An edition's slug.")
    partner = django_filters.CharFilter(method="posed_or_sponsored_by", help_text="A partner's slug.")

    class Meta:
        model = Challenge
        fields = ["edition", "partner"]

    def posed_or_sponsored_by(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(pk__in=Challenge.objects.of_partners(Partner.objects.filter(slug=value)).values("pk"))


class SelectionFilter(django_filters.FilterSet):
    edition = django_filters.CharFilter(field_name="program__slug", help_text="An edition's slug.")
    challenge = django_filters.CharFilter(field_name="challenge__slug", help_text="A challenge's slug.")
    sponsor = django_filters.CharFilter(field_name="sponsor__slug", help_text="A partner's slug.")

    class Meta:
        model = Selection
        fields = ["edition", "challenge", "sponsor"]


class PartnerFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=PartnerKind.choices)

    class Meta:
        model = Partner
        fields = ["kind"]


class DatasetFilter(django_filters.FilterSet):
    publisher = django_filters.CharFilter(field_name="owner__slug", help_text="A partner's slug.")
    access_level = django_filters.ChoiceFilter(choices=AccessLevel.choices)
    licence = django_filters.ChoiceFilter(choices=Licence.choices)
    theme = django_filters.ChoiceFilter(choices=DataTheme.choices, method="with_theme")
    challenge = django_filters.CharFilter(field_name="challenges__slug", help_text="A challenge's slug.")

    class Meta:
        model = Dataset
        fields = ["publisher", "access_level", "licence", "theme", "challenge"]

    def with_theme(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(themes__contains=[value])


# --- The reads, each with its joins --------------------------------------------------------------------------------


def editions(user: Any) -> QuerySet[Program]:
    return with_summary(programs_visible_to(user).with_phases()).order_by("-starts_on", "slug")


def partners(user: Any) -> QuerySet[Partner]:
    return partners_visible_to(user).order_by("kind", "slug")


def challenges(user: Any) -> QuerySet[Challenge]:
    return (
        challenges_visible_to(user)
        .select_related("program")
        .prefetch_related("themes", Prefetch("co_sponsors", queryset=Partner.objects.order_by("slug")), "owner")
        .order_by("-program__starts_on", "slug")
    )


def indicators_with_measurements() -> Prefetch:
    measurements = Measurement.objects.order_by("measured_on", "pk").only("pk", "indicator_id", "value", "measured_on")
    indicators = Indicator.objects.order_by("order", "pk").prefetch_related(
        Prefetch("measurements", queryset=measurements)
    )
    return Prefetch("indicators", queryset=indicators)


def selections() -> QuerySet[Selection]:
    return public_selections().order_by("-program__starts_on", "startup__slug", "pk")


def results() -> QuerySet[Selection]:
    """Selections of the editions whose results are published, with their indicators."""
    return selections().filter(program__results_published=True).prefetch_related(indicators_with_measurements())


def experiments(user: Any) -> QuerySet[Selection]:
    deliverables = (
        Deliverable.objects.select_related("milestone")
        .annotate(version_count=Count("versions"), last_submitted_at=Max("versions__submitted_at"))
        .order_by("milestone__due_at", "pk")
    )
    return (
        experiments_visible_to(user)
        .select_related("program", "startup", "challenge", "sponsor")
        .prefetch_related(indicators_with_measurements(), Prefetch("deliverables", queryset=deliverables))
        .order_by("-program__starts_on", "startup__slug", "pk")
    )


def partnerships() -> QuerySet:
    return public_partnerships().select_related("selection__program")


def datasets(user: Any) -> QuerySet[Dataset]:
    files = Distribution.objects.select_related("dataset").order_by("-version")
    return (
        datasets_visible_to(user)
        .select_related("owner")
        .prefetch_related(
            Prefetch("distributions", queryset=files),
            Prefetch("challenges", queryset=Challenge.objects.published().order_by("slug")),
        )
        .order_by("slug")
    )


# --- The endpoints -------------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Program editions", description="Published editions, latest first."),
    retrieve=extend_schema(summary="A program edition"),
)
class EditionViewSet(ReadOnly):
    serializer_class = serializers.EditionSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return editions(self.request.user)


@extend_schema_view(
    list=extend_schema(summary="Partners", description="The partners shown on the public site."),
    retrieve=extend_schema(summary="A partner"),
)
class PartnerViewSet(ReadOnly):
    serializer_class = serializers.PartnerSerializer
    filterset_class = PartnerFilter
    lookup_field = "slug"

    def get_queryset(self):
        return partners(self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary="Challenges",
        description="Published challenges of published editions; a partner's members also see their own drafts.",
    ),
    retrieve=extend_schema(summary="A challenge"),
)
class ChallengeViewSet(ReadOnly):
    serializer_class = serializers.ChallengeSerializer
    filterset_class = ChallengeFilter
    lookup_field = "slug"

    def get_queryset(self):
        return challenges(self.request.user)


@extend_schema_view(
    list=extend_schema(summary="Selected startups", description="The startups selected in published editions."),
    retrieve=extend_schema(summary="A selected startup"),
)
class SelectionViewSet(ReadOnly):
    serializer_class = serializers.SelectionSerializer
    filterset_class = SelectionFilter

    def get_queryset(self):
        return selections()


@extend_schema_view(
    list=extend_schema(
        summary="Results",
        description="Each startup selected in an edition whose results are published, with its indicators.",
    ),
    retrieve=extend_schema(summary="A selected startup's results"),
)
class ResultViewSet(ReadOnly):
    serializer_class = serializers.ResultSerializer
    filterset_class = SelectionFilter

    def get_queryset(self):
        return results()


@extend_schema_view(
    list=extend_schema(
        summary="My experiments",
        description="The experiments the signed-in person takes part in (startup or sponsoring partner), or follows "
        "as staff: indicators, measurements and deliverables, results published or not.",
    ),
    retrieve=extend_schema(summary="One of my experiments"),
)
class ExperimentViewSet(ReadOnly):
    serializer_class = serializers.ExperimentSerializer
    filterset_class = SelectionFilter
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return experiments(self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary="Partnerships",
        description="Signed partnerships that both the startup and the partner agreed to publish.",
    ),
)
class PartnershipViewSet(mixins.ListModelMixin, OpenData):
    serializer_class = serializers.PartnershipSerializer

    def get_queryset(self):
        return partnerships()


@extend_schema_view(
    list=extend_schema(
        summary="Datasets",
        description="The data catalogue: every dataset's metadata, and where to download the files of public ones.",
    ),
    retrieve=extend_schema(summary="A dataset"),
)
class DatasetViewSet(ReadOnly):
    serializer_class = serializers.DatasetSerializer
    filterset_class = DatasetFilter
    lookup_field = "slug"

    def get_queryset(self):
        return datasets(self.request.user)
