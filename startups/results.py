"""The reads of an edition's public outcome: who may see its demo day and its results, the summary figures, the
startups presenting at the demo day, and each selected startup with its indicators and public partnerships. Every
read makes the same number of queries whatever the number of startups, indicators and measurements."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from challenges.models import Program, ProgramQuerySet
from challenges.permissions import programs_managed_by
from datacity.core.access import visible_or_404

from .charts import format_number, indicator_chart
from .kpis import indicator_status
from .models import (
    Application,
    ApplicationStatus,
    Indicator,
    IndicatorStatus,
    Measurement,
    Outcome,
    Partnership,
    Selection,
)
from .partnerships import SIGNED_STAGES, public_partnerships

# What counts as "tested" in the summary: the prototype met real users, whatever came after.
TESTED_OUTCOMES = (Outcome.TESTED, Outcome.PILOT, Outcome.CONTRACT)
# Applications the startups sent (a draft was never sent, a withdrawn one was taken back).
UNSENT_STATUSES = (ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN)


# --- Who sees what -------------------------------------------------------------------------------------------------


def _editions_for(user: Any, public: Q) -> ProgramQuerySet:
    """Staff preview every edition (the staff dashboard's rule); everyone else sees published editions matching
    `public`."""
    if getattr(user, "is_staff", False) and user.is_authenticated:
        return programs_managed_by(user)
    return Program.objects.published().filter(public)


def access_demo_day(user: Any, slug: str) -> Program:
    """The edition `slug` with its demo day, when the edition and its demo day are published (or for staff, who
    preview it before); 404 otherwise, audited."""
    editions = _editions_for(user, Q(demo_day__is_published=True)).filter(demo_day__isnull=False)
    return visible_or_404(editions.select_related("demo_day"), slug=slug)


def access_results(user: Any, slug: str) -> Program:
    """The edition `slug` when it and its results are published (or for staff, who preview them before); 404
    otherwise, audited."""
    return visible_or_404(_editions_for(user, Q(results_published=True)), slug=slug)


# --- The summary ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EditionSummary:
    applications_submitted: int
    selected_startups: int
    prototypes_tested: int
    partnerships_signed: int


def _count(rows: Any, edition: str) -> Coalesce:
    """How many of `rows` belong to the outer edition, as a subquery (0 when none)."""
    counted = rows.filter(**{edition: OuterRef("pk")}).order_by().values(edition).annotate(count=Count("pk"))
    return Coalesce(Subquery(counted.values("count")), 0)


def with_summary(programs: ProgramQuerySet) -> ProgramQuerySet:
    """The editions with their figures annotated, counted by the database in the same query whatever their number.
    Every signed partnership is counted, public or not: the count says nothing about who signed."""
    return programs.annotate(
        applications_submitted=_count(Application.objects.exclude(status__in=UNSENT_STATUSES), "challenge__program"),
        selected_startups=_count(Selection.objects.all(), "program"),
        prototypes_tested=_count(Selection.objects.filter(outcome__in=TESTED_OUTCOMES), "program"),
        partnerships_signed=_count(Partnership.objects.filter(stage__in=SIGNED_STAGES), "selection__program"),
    )


def edition_summary(program: Program) -> EditionSummary:
    """The edition's figures: one query."""
    figures = with_summary(Program.objects.filter(pk=program.pk)).values(*EditionSummary.__dataclass_fields__).get()
    return EditionSummary(**figures)


# --- The demo day --------------------------------------------------------------------------------------------------


def demo_day_presenters(program: Program) -> list[Selection]:
    """The selections presenting at the edition's demo day, in their order, with startup, challenge and sponsor."""
    return list(
        Selection.objects.filter(program=program, presents_at_demo_day=True)
        .select_related("startup", "challenge", "sponsor")
        .order_by("demo_day_order", "startup__name", "pk")
    )


# --- The results ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorResult:
    indicator: Indicator
    measurements: Sequence[Measurement]
    status: str
    chart: SafeString

    @property
    def status_label(self) -> str:
        return str(IndicatorStatus(self.status).label)

    @property
    def baseline(self) -> str:
        return format_number(self.indicator.baseline)

    @property
    def target(self) -> str:
        return format_number(self.indicator.target)

    @property
    def latest(self) -> str:
        """The latest measured value (by date), "" when nothing is measured yet."""
        if not self.measurements:
            return ""
        value: Decimal = self.measurements[-1].value
        return format_number(value)


@dataclass(frozen=True)
class SelectionResult:
    selection: Selection
    indicators: list[IndicatorResult]
    partnerships: list[Partnership]


def results_of(program: Program) -> list[SelectionResult]:
    """Each selected startup of the edition with its challenge, sponsor, indicators (measurements oldest first, their
    status and chart) and public partnerships: four queries whatever their number. Nothing about people is read
    (not who recorded a measurement)."""
    measurements = Measurement.objects.order_by("measured_on", "pk").only("pk", "indicator_id", "value", "measured_on")
    indicators = Indicator.objects.order_by("order", "pk").prefetch_related(
        Prefetch("measurements", queryset=measurements)
    )
    partnerships = public_partnerships().order_by("-signed_on", "partner__name", "pk")
    selections = (
        Selection.objects.filter(program=program)
        .select_related("program", "startup", "challenge", "sponsor")
        .prefetch_related(Prefetch("indicators", queryset=indicators), Prefetch("partnerships", queryset=partnerships))
        .order_by("startup__name", "pk")
    )
    language = get_language()
    results = []
    for selection in selections:
        blocks = []
        for indicator in selection.indicators.all():
            rows = list(indicator.measurements.all())
            blocks.append(
                IndicatorResult(
                    indicator=indicator,
                    measurements=rows,
                    status=indicator_status(indicator, rows),
                    chart=indicator_chart(indicator, rows, language=language, table=True),
                )
            )
        results.append(
            SelectionResult(selection=selection, indicators=blocks, partnerships=list(selection.partnerships.all()))
        )
    return results
