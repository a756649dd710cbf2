"""What the open data says of each object: an allow-list of fields, never a model's whole row.

No field names a person (no member, juror, uploader, contact or author); translated texts are given in French,
Arabic and English together, so one file serves every language. Each field's help text documents it, in the API's
OpenAPI description and on the open data page alike.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from modeltranslation.utils import build_localized_fieldname
from rest_framework import serializers

from challenges.models import Challenge, Phase, PhaseKind, PhaseStatus, Program, ProgramStatus
from datasets.models import AccessLevel, Dataset, Distribution
from partners.models import Partner
from startups.kpis import indicator_status
from startups.models import Deliverable, Indicator, IndicatorStatus, Measurement, Partnership, Selection, Startup

LANGUAGES = [code for code, _name in settings.LANGUAGES]


class Texts(serializers.Serializer):
    """A text in each of the platform's languages ("" where it is not written in that language)."""

    fr = serializers.CharField(help_text=_("In French."))
    ar = serializers.CharField(help_text=_("In Arabic."))
    en = serializers.CharField(help_text=_("In English."))


@extend_schema_field(Texts)
class TranslatedField(serializers.Field):
    """A translated model field, as {"fr": ..., "ar": ..., "en": ...}."""

    def __init__(self, field: str, **kwargs: Any) -> None:
        self.field = field
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance: Any) -> dict[str, str]:
        return {code: getattr(instance, build_localized_fieldname(self.field, code)) or "" for code in LANGUAGES}


@extend_schema_field(OpenApiTypes.URI)
class PageField(serializers.Field):
    """The object's public page, in French (the pages in Arabic and English are under /ar/ and /en/)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance: Any) -> str:
        with translation.override(settings.LANGUAGE_CODE):
            return f"{settings.SITE_URL}{instance.get_absolute_url()}"


class OptionalURLField(serializers.URLField):
    """A web address, null when there is none (an empty string is not an address)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_null=True, **kwargs)

    def to_representation(self, value: str) -> str | None:
        return value or None


def slug_of(source: str | None, help_text: Any, **kwargs: Any) -> serializers.SlugRelatedField:
    """A related object by its slug (`source` None when the field has the relation's name)."""
    if source is not None:
        kwargs["source"] = source
    return serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text=help_text, **kwargs)


# --- Editions ------------------------------------------------------------------------------------------------------


class PhaseSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=PhaseKind.choices, help_text=_("The step of the program."))
    title = TranslatedField("title", help_text=_("The phase's title."))
    starts_at = serializers.DateTimeField(help_text=_("When it opens (ISO 8601, with its offset)."))
    ends_at = serializers.DateTimeField(help_text=_("When it closes: it is closed from this instant on."))
    status = serializers.SerializerMethodField(help_text=_("Upcoming, open or closed, at the time of the request."))

    class Meta:
        model = Phase
        fields = ["kind", "title", "starts_at", "ends_at", "status"]

    def get_status(self, phase: Phase) -> PhaseStatus:
        return PhaseStatus(phase.status())


class EditionSummarySerializer(serializers.Serializer):
    """An edition's figures, given once its results are published."""

    applications_submitted = serializers.IntegerField(help_text=_("Applications sent (drafts and withdrawals aside)."))
    selected_startups = serializers.IntegerField(help_text=_("Startups selected."))
    prototypes_tested = serializers.IntegerField(help_text=_("Prototypes tested with real users."))
    partnerships_signed = serializers.IntegerField(help_text=_("Contracts signed after the program."))


class EditionSerializer(serializers.ModelSerializer):
    slug = serializers.SlugField(help_text=_("The edition's identifier in addresses."))
    name = TranslatedField("name", help_text=_("The edition's name."))
    city = TranslatedField("city", help_text=_("The city that runs it."))
    description = TranslatedField("description", help_text=_("What the edition is about."))
    starts_on = serializers.DateField(help_text=_("First day."))
    ends_on = serializers.DateField(help_text=_("Last day."))
    time_zone = serializers.CharField(help_text=_("The time zone its deadlines are set in."))
    status = serializers.SerializerMethodField(help_text=_("Where the edition stands at the time of the request."))
    results_published = serializers.BooleanField(help_text=_("Whether its results are public."))
    phases = PhaseSerializer(many=True, read_only=True, help_text=_("Its dated phases, in order."))
    summary = serializers.SerializerMethodField(help_text=_("Its figures, once its results are published."))
    page = PageField(help_text=_("Its public page."))

    class Meta:
        model = Program
        fields = [
            "slug",
            "name",
            "city",
            "description",
            "starts_on",
            "ends_on",
            "time_zone",
            "status",
            "results_published",
            "phases",
            "summary",
            "page",
        ]

    def get_status(self, program: Program) -> ProgramStatus:
        return ProgramStatus(program.state().status)

    @extend_schema_field(EditionSummarySerializer(allow_null=True))
    def get_summary(self, program: Program) -> dict[str, int] | None:
        """Read from the figures the queryset annotates (startups.results.with_summary)."""
        if not program.results_published:
            return None
        return EditionSummarySerializer(program).data


# --- Partners, challenges ------------------------------------------------------------------------------------------


class PartnerSerializer(serializers.ModelSerializer):
    slug = serializers.SlugField(help_text=_("The partner's identifier in addresses."))
    name = TranslatedField("name", help_text=_("The organisation's name."))
    kind = serializers.CharField(source="get_kind_display", help_text=_("What kind of organisation it is."))
    description = TranslatedField("description", help_text=_("What it does."))
    website = OptionalURLField(help_text=_("Its website, if any."))
    page = PageField(help_text=_("Its public page."))

    class Meta:
        model = Partner
        fields = ["slug", "name", "kind", "description", "website", "page"]


class ChallengeSerializer(serializers.ModelSerializer):
    slug = serializers.SlugField(help_text=_("The challenge's identifier in addresses."))
    edition = slug_of("program", _("The edition it belongs to (its slug)."))
    title = TranslatedField("title", help_text=_("The challenge's title."))
    summary = TranslatedField("summary", help_text=_("One sentence."))
    problem_statement = TranslatedField("problem_statement", help_text=_("The urban problem posed."))
    context = TranslatedField("context", help_text=_("What is known of it."))
    expected_outcomes = TranslatedField("expected_outcomes", help_text=_("What a solution should bring."))
    kpis = TranslatedField("kpis", help_text=_("How success will be measured, one per line."))
    themes = serializers.SerializerMethodField(help_text=_("Its themes, each in the three languages."))
    owner = slug_of(None, _("The partner that poses it (its slug)."))
    co_sponsors = serializers.SlugRelatedField(
        many=True, slug_field="slug", read_only=True, help_text=_("The partners that co-sponsor it (their slugs).")
    )
    status = serializers.CharField(help_text=_("Published, or draft (drafts are shown to their partner only)."))
    page = PageField(help_text=_("Its public page."))

    class Meta:
        model = Challenge
        fields = [
            "slug",
            "edition",
            "title",
            "summary",
            "problem_statement",
            "context",
            "expected_outcomes",
            "kpis",
            "themes",
            "owner",
            "co_sponsors",
            "status",
            "page",
        ]

    @extend_schema_field(Texts(many=True))
    def get_themes(self, challenge: Challenge) -> list[dict[str, str]]:
        return [TranslatedField("name").to_representation(theme) for theme in challenge.themes.all()]


# --- Selected startups and their results ---------------------------------------------------------------------------


class StartupSerializer(serializers.ModelSerializer):
    slug = serializers.SlugField(help_text=_("The startup's identifier in addresses."))
    name = serializers.CharField(help_text=_("The startup's name."))
    pitch = TranslatedField("pitch", help_text=_("What it does, in one sentence."))
    sector = serializers.CharField(source="get_sector_display", help_text=_("Its sector."))
    city = serializers.CharField(help_text=_("Where it is based."))
    founded_year = serializers.IntegerField(allow_null=True, help_text=_("The year it was founded."))
    website = OptionalURLField(help_text=_("Its website, if any."))

    class Meta:
        model = Startup
        fields = ["slug", "name", "pitch", "sector", "city", "founded_year", "website"]


class MeasurementSerializer(serializers.ModelSerializer):
    measured_on = serializers.DateField(help_text=_("The day the value was measured."))
    value = serializers.DecimalField(
        max_digits=14, decimal_places=4, help_text=_("The value, in the indicator's unit.")
    )

    class Meta:
        model = Measurement
        fields = ["measured_on", "value"]


class IndicatorSerializer(serializers.ModelSerializer):
    experiment = serializers.IntegerField(source="selection_id", help_text=_("The experiment it measures (its id)."))
    name = serializers.CharField(help_text=_("What is measured."))
    unit = serializers.CharField(help_text=_("The unit of every value."))
    baseline = serializers.DecimalField(max_digits=14, decimal_places=4, help_text=_("The value before the prototype."))
    target = serializers.DecimalField(max_digits=14, decimal_places=4, help_text=_("The value aimed at."))
    method = serializers.CharField(help_text=_("How it is measured."))
    status = serializers.SerializerMethodField(
        help_text=_("Where it stands at the time of the request, from its latest measurement and the calendar.")
    )
    latest = serializers.SerializerMethodField(help_text=_("The latest measured value, null before any."))
    measurements = MeasurementSerializer(many=True, read_only=True, help_text=_("Every measurement, oldest first."))

    class Meta:
        model = Indicator
        fields = ["experiment", "name", "unit", "baseline", "target", "method", "status", "latest", "measurements"]

    def get_status(self, indicator: Indicator) -> IndicatorStatus:
        return IndicatorStatus(indicator_status(indicator, list(indicator.measurements.all())))

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True))
    def get_latest(self, indicator: Indicator) -> str | None:
        rows = list(indicator.measurements.all())
        if not rows:
            return None
        value: Decimal = rows[-1].value
        return serializers.DecimalField(max_digits=14, decimal_places=4).to_representation(value)


class SelectionSerializer(serializers.ModelSerializer):
    """A startup selected in an edition; what came of its experiment once the edition's results are published."""

    id = serializers.IntegerField(help_text=_("The selection's identifier (the experiment's id)."))
    edition = slug_of("program", _("The edition (its slug)."))
    startup = StartupSerializer(read_only=True, help_text=_("The selected startup."))
    challenge = slug_of(None, _("The challenge it was selected for (its slug)."))
    sponsor = slug_of(None, _("The partner that sponsors its experiment (its slug)."))
    selected_on = serializers.DateField(allow_null=True, help_text=_("The day it was selected."))
    prototype_summary = serializers.SerializerMethodField(
        help_text=_("What the prototype does, once the results are published.")
    )
    outcome = serializers.SerializerMethodField(
        help_text=_("Where the experiment ended, once the results are published.")
    )

    class Meta:
        model = Selection
        fields = ["id", "edition", "startup", "challenge", "sponsor", "selected_on", "prototype_summary", "outcome"]

    @extend_schema_field(Texts(allow_null=True))
    def get_prototype_summary(self, selection: Selection) -> dict[str, str] | None:
        if not selection.program.results_published:
            return None
        return TranslatedField("prototype_summary").to_representation(selection)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_outcome(self, selection: Selection) -> str | None:
        return selection.outcome if selection.program.results_published else None


class ResultSerializer(SelectionSerializer):
    """A selected startup of an edition whose results are published, with its indicators."""

    indicators = IndicatorSerializer(many=True, read_only=True, help_text=_("Its indicators and measurements."))

    class Meta(SelectionSerializer.Meta):
        fields = [*SelectionSerializer.Meta.fields, "indicators"]


class DeliverableSerializer(serializers.ModelSerializer):
    milestone = serializers.CharField(source="milestone.kind", help_text=_("The milestone it is delivered for."))
    due_at = serializers.DateTimeField(source="milestone.due_at", help_text=_("When it is due."))
    status = serializers.CharField(help_text=_("Submitted, changes requested or approved."))
    versions = serializers.IntegerField(source="version_count", help_text=_("How many versions were submitted."))
    last_submitted_at = serializers.DateTimeField(allow_null=True, help_text=_("When the latest version came."))

    class Meta:
        model = Deliverable
        fields = ["milestone", "due_at", "status", "versions", "last_submitted_at"]


class ExperimentSerializer(ResultSerializer):
    """An experiment the person asking takes part in (or follows as staff), its results public or not yet."""

    deliverables = DeliverableSerializer(many=True, read_only=True, help_text=_("What it delivered, per milestone."))

    class Meta(ResultSerializer.Meta):
        fields = [*ResultSerializer.Meta.fields, "deliverables"]

    @extend_schema_field(Texts)
    def get_prototype_summary(self, selection: Selection) -> dict[str, str]:
        return TranslatedField("prototype_summary").to_representation(selection)

    @extend_schema_field(serializers.CharField())
    def get_outcome(self, selection: Selection) -> str:
        return selection.outcome


class PartnershipSerializer(serializers.ModelSerializer):
    """A signed partnership that both parties agreed to publish."""

    startup = serializers.CharField(source="startup.name", help_text=_("The startup."))
    partner = slug_of(None, _("The partner (its slug)."))
    edition = serializers.SlugRelatedField(
        source="selection.program",
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text=_("The edition it came from (its slug), if any."),
    )
    stage = serializers.CharField(help_text=_("Contract, or scale (the contract grown beyond the pilot)."))
    procurement_route = serializers.CharField(help_text=_("How the contract was awarded."))
    value = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text=_("The contract's value in dirhams (MAD).")
    )
    signed_on = serializers.DateField(allow_null=True, help_text=_("The day it was signed."))

    class Meta:
        model = Partnership
        fields = ["startup", "partner", "edition", "stage", "procurement_route", "value", "signed_on"]


# --- The data catalogue --------------------------------------------------------------------------------------------


class DistributionSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(help_text=_("The file's version (each upload is a new one)."))
    name = serializers.CharField(help_text=_("The file's name."))
    format = serializers.CharField(help_text=_("CSV, GeoJSON, PDF..."))
    media_type = serializers.CharField(help_text=_("Its media type."))
    size = serializers.IntegerField(help_text=_("Its size in bytes."))
    sha256 = serializers.CharField(help_text=_("Its SHA-256 checksum."))
    change_note = serializers.CharField(help_text=_("What changed in this version."))
    uploaded_at = serializers.DateTimeField(help_text=_("When it was published."))
    download = serializers.SerializerMethodField(
        help_text=_("Where anyone downloads it: for public datasets only, null for governed ones.")
    )

    class Meta:
        model = Distribution
        fields = ["version", "name", "format", "media_type", "size", "sha256", "change_note", "uploaded_at", "download"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_download(self, distribution: Distribution) -> str | None:
        if distribution.dataset.access_level != AccessLevel.PUBLIC:
            return None
        with translation.override(settings.LANGUAGE_CODE):
            path = reverse(
                "datasets:download", kwargs={"slug": distribution.dataset.slug, "version": distribution.version}
            )
        return f"{settings.SITE_URL}{path}"


class DatasetSerializer(serializers.ModelSerializer):
    slug = serializers.SlugField(help_text=_("The dataset's identifier in addresses."))
    title = TranslatedField("title", help_text=_("The dataset's title."))
    description = TranslatedField("description", help_text=_("What it holds."))
    keywords = TranslatedField("keywords", help_text=_("Its keywords, separated by commas."))
    themes = serializers.ListField(child=serializers.CharField(), help_text=_("EU data themes (codes)."))
    publisher = slug_of("owner", _("The partner that shares it (its slug)."))
    licence = serializers.CharField(help_text=_("Its licence (a code)."))
    access_level = serializers.ChoiceField(
        choices=AccessLevel.choices,
        help_text=_("Who downloads its files: anyone, the selected startups, or startups granted access on request."),
    )
    spatial_coverage = serializers.CharField(help_text=_("The place the data covers."))
    temporal_start = serializers.DateField(allow_null=True, help_text=_("The first day the data covers."))
    temporal_end = serializers.DateField(allow_null=True, help_text=_("The last day the data covers."))
    update_frequency = serializers.CharField(help_text=_("How often it is updated (an EU frequency code)."))
    languages = serializers.ListField(child=serializers.CharField(), help_text=_("The languages of the data."))
    issued = serializers.DateField(allow_null=True, help_text=_("When it was first published."))
    modified = serializers.DateField(allow_null=True, help_text=_("When it last changed."))
    challenges = serializers.SerializerMethodField(help_text=_("The published challenges it serves (their slugs)."))
    distributions = DistributionSerializer(many=True, read_only=True, help_text=_("Its files, newest version first."))
    page = PageField(help_text=_("Its page in the catalogue."))

    class Meta:
        model = Dataset
        fields = [
            "slug",
            "title",
            "description",
            "keywords",
            "themes",
            "publisher",
            "licence",
            "access_level",
            "spatial_coverage",
            "temporal_start",
            "temporal_end",
            "update_frequency",
            "languages",
            "issued",
            "modified",
            "challenges",
            "distributions",
            "page",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_challenges(self, dataset: Dataset) -> list[str]:
        return [challenge.slug for challenge in dataset.challenges.all()]
