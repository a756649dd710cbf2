"""An experiment's KPI protocol: its indicators (what is measured, from which baseline to which target) and their
dated measurements, written by the startup's members, the sponsoring partner's members or staff; the one rule that
says whether an indicator is on track (`indicator_status`). Every write is audited; who may follow an experiment is
in `permissions.py`."""

import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from datacity.audit.services import Refused, audited_transaction, record

from .models import Indicator, IndicatorStatus, Measurement, Selection
from .permissions import experiment_role

# The columns' precision (max_digits=14, decimal_places=4): 10 digits before the decimal point, 4 after.
DECIMAL_PLACES = 4
INTEGER_DIGITS = 10
# Longer than any number the columns hold, written with separators: anything longer is not a number we keep.
MAX_NUMBER_LENGTH = 40
# On track means the indicator has covered at least the share of the experiment's time elapsed, less this margin.
ON_TRACK_MARGIN = Decimal("0.10")
# Spaces used as thousands separators (French writes 1 234,5 with a narrow no-break space).
_GROUP_SPACES = re.compile(r"[ \u00a0\u202f]")


class KpiRefused(Refused):
    """An indicator or measurement refused by the rules; `details["reason_code"]` says which (for tests and the audit
    log)."""


# --- Reads ---------------------------------------------------------------------------------------------------------


def indicators_of(selection: Selection) -> QuerySet[Indicator]:
    """The experiment's indicators in order, each with its measurements (oldest first) and who recorded them: the page
    reads them all in two queries whatever their number."""
    measurements = Measurement.objects.select_related("measured_by").order_by("measured_on", "pk")
    return (
        Indicator.objects.filter(selection=selection)
        .select_related("selection__program")
        .prefetch_related(Prefetch("measurements", queryset=measurements))
        .order_by("order", "pk")
    )


def may_record(user: Any, selection: Selection) -> bool:
    """Whether `user` may add indicators and measurements to the experiment: its startup's members, the sponsoring
    partner's members, staff."""
    return bool(getattr(user, "is_authenticated", False) and experiment_role(user, selection))


# --- The status rule -----------------------------------------------------------------------------------------------


def indicator_status(indicator: Indicator, measurements: Sequence[Measurement], *, today: date | None = None) -> str:
    """Where the indicator stands, from its latest measurement (by date) and the edition's calendar:

    - not started: no measurement yet;
    - achieved: the latest value reaches the target, in the direction from baseline to target (at or above a target
      above the baseline, at or below a target below it; a target equal to the baseline counts as "at or above");
    - missed: the edition has ended (its last day is past) and the target is not reached;
    - on track: the latest value has covered, from the baseline towards the target, at least the share of the
      edition's time elapsed today (from its first to its last day) less 10 points;
    - at risk: otherwise (including a value that moved away from the target).

    `today` is the edition's local date unless given. The status is stored on each write, and recomputed live where it
    is shown, since the share of time elapsed grows every day."""
    if not measurements:
        return IndicatorStatus.NOT_STARTED
    latest = max(measurements, key=lambda measurement: (measurement.measured_on, measurement.pk or 0)).value
    baseline, target = indicator.baseline, indicator.target
    reached = latest <= target if target < baseline else latest >= target
    if reached:
        return IndicatorStatus.ACHIEVED
    program = indicator.selection.program
    today = today or timezone.localdate(timezone=program.time_zone)
    if today > program.ends_on:
        return IndicatorStatus.MISSED
    span = (program.ends_on - program.starts_on).days
    elapsed = min(max((today - program.starts_on).days, 0), span) if span else 0
    share_of_time = Decimal(elapsed) / Decimal(span) if span else Decimal(1)
    progress = (latest - baseline) / (target - baseline) if target != baseline else Decimal(0)
    return IndicatorStatus.ON_TRACK if progress >= share_of_time - ON_TRACK_MARGIN else IndicatorStatus.AT_RISK


# --- Parsing -------------------------------------------------------------------------------------------------------


def parse_number(raw: Any, *, action: str = "", obj: Any = None) -> Decimal:
    """A number as people type it: "12.5", "12,5" (the French decimal comma), "1 234,5" (spaces between thousands),
    Arabic-Indic digits. Refused (reason "not_a_number") when it is not a finite number, or ("digits") when the
    columns cannot hold it exactly: at most 10 digits before the decimal point and 4 after."""
    if isinstance(raw, Decimal):
        value = raw
    else:
        text = _GROUP_SPACES.sub("", str(raw if raw is not None else "")).replace("\u066b", ".").strip()
        if "," in text and "." in text:
            raise KpiRefused(
                _("Write the number without a thousands separator, e.g. 1234.5 or 1234,5."),
                action=action,
                obj=obj,
                reason_code="not_a_number",
            )
        text = text.replace(",", ".")
        try:
            if not text or len(text) > MAX_NUMBER_LENGTH or "_" in text:
                raise InvalidOperation
            value = Decimal(text)
        except InvalidOperation:
            raise KpiRefused(
                _("Enter a number, e.g. 812 or 12,5."), action=action, obj=obj, reason_code="not_a_number"
            ) from None
    if not value.is_finite():
        raise KpiRefused(_("Enter a number, e.g. 812 or 12,5."), action=action, obj=obj, reason_code="not_a_number")
    # `adjusted()` (the exponent of the leading digit) needs no arithmetic, which would overflow on "1e999999999".
    too_long = value != 0 and value.adjusted() >= INTEGER_DIGITS
    if too_long or value != value.quantize(Decimal(1).scaleb(-DECIMAL_PLACES)):
        raise KpiRefused(
            _("A number here has at most %(integer)s digits before the decimal point and %(decimals)s after.")
            % {"integer": INTEGER_DIGITS, "decimals": DECIMAL_PLACES},
            action=action,
            obj=obj,
            reason_code="digits",
        )
    return value + Decimal(0)  # "-0" is 0


# --- Writes --------------------------------------------------------------------------------------------------------


def _check_party(actor: Any, selection: Selection, *, action: str) -> str:
    role = experiment_role(actor, selection) if getattr(actor, "is_authenticated", False) else ""
    if not role:
        raise KpiRefused(
            _("Only the startup's team, the sponsoring partner and the program team record this experiment."),
            action=action,
            obj=selection,
            reason_code="not_a_party",
        )
    return role


def _clean(instance: Any, *, action: str, obj: Any, exclude: Iterable[str] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as error:
        raise KpiRefused(" ".join(error.messages), action=action, obj=obj, reason_code="invalid") from error


@audited_transaction
def indicator_save(
    *, selection: Selection, actor: Any, data: dict[str, Any], indicator: Indicator | None = None
) -> Indicator:
    """Add an indicator to the experiment (or change `indicator`): `data` holds name, unit, baseline, target and
    optionally method and order. The unit of an indicator already measured is kept: its measurements are in it."""
    action = "experiment.indicator_refused"
    role = _check_party(actor, selection, action=action)
    if indicator is not None and indicator.selection_id != selection.pk:
        raise KpiRefused(_("This indicator belongs to another experiment."), action=action, obj=indicator)
    baseline = parse_number(data.get("baseline"), action=action, obj=selection)
    target = parse_number(data.get("target"), action=action, obj=selection)
    if baseline == target:
        raise KpiRefused(
            _("The target must differ from the baseline: it says which way the indicator should move."),
            action=action,
            obj=selection,
            reason_code="target",
        )
    creating = indicator is None
    if indicator is None:
        indicator = Indicator(selection=selection)
        last = Indicator.objects.filter(selection=selection).order_by("-order").values_list("order", flat=True).first()
        indicator.order = (last or 0) + 1 if last is not None else 0
    else:
        indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    indicator.selection = selection
    unit = str(data.get("unit") or "").strip()
    if not creating and unit != indicator.unit and indicator.measurements.exists():
        raise KpiRefused(
            _("This indicator is already measured in %(unit)s: its unit cannot change.") % {"unit": indicator.unit},
            action=action,
            obj=indicator,
            reason_code="unit",
        )
    indicator.name = str(data.get("name") or "").strip()
    indicator.unit = unit
    indicator.baseline, indicator.target = baseline, target
    indicator.method = str(data.get("method") or "").strip()
    if data.get("order") is not None:
        indicator.order = data["order"]
    _clean(indicator, action=action, obj=selection, exclude=["selection", "status"])
    indicator.status = indicator_status(indicator, list(indicator.measurements.all()) if not creating else [])
    indicator.save()
    record(
        action="experiment.indicator_created" if creating else "experiment.indicator_changed",
        actor=actor,
        obj=indicator,
        selection=selection.pk,
        role=role,
        unit=indicator.unit,
        baseline=str(baseline),
        target=str(target),
    )
    return indicator


@audited_transaction
def measurement_add(
    *, indicator: Indicator, actor: Any, value: Any, unit: str, measured_on: date | None, source: str
) -> Measurement:
    """Record one dated measurement of the indicator, in the indicator's own unit (a value in another unit is refused,
    never converted), dated between the edition's first day and today, with its source; then the indicator's status
    is recomputed."""
    action = "experiment.measurement_refused"
    indicator = Indicator.objects.select_for_update().select_related("selection__program").get(pk=indicator.pk)
    selection = indicator.selection
    role = _check_party(actor, selection, action=action)
    number = parse_number(value, action=action, obj=indicator)
    if " ".join(str(unit or "").split()) != " ".join(indicator.unit.split()):
        raise KpiRefused(
            _("This indicator is measured in %(unit)s: enter the value in %(unit)s (convert it first if needed).")
            % {"unit": indicator.unit},
            action=action,
            obj=indicator,
            reason_code="unit",
        )
    program = selection.program
    if measured_on is None:
        raise KpiRefused(_("Give the date of the measurement."), action=action, obj=indicator, reason_code="date")
    if measured_on > timezone.localdate(timezone=program.time_zone):
        raise KpiRefused(
            _("A measurement cannot be dated in the future."), action=action, obj=indicator, reason_code="future"
        )
    if measured_on < program.starts_on:
        raise KpiRefused(
            _("A measurement cannot be dated before the edition's start (%(date)s).")
            % {"date": program.starts_on.isoformat()},
            action=action,
            obj=indicator,
            reason_code="before_start",
        )
    source = str(source or "").strip()
    if not source:
        raise KpiRefused(
            _("Say where the value comes from (a meter, a survey, a report...)."),
            action=action,
            obj=indicator,
            reason_code="source",
        )
    measurement = Measurement(
        indicator=indicator, value=number, measured_on=measured_on, source=source, measured_by=actor
    )
    _clean(measurement, action=action, obj=indicator)
    measurement.save()
    previous = indicator.status
    indicator.status = indicator_status(indicator, list(indicator.measurements.all()))
    if indicator.status != previous:
        indicator.save(update_fields=["status", "updated_at"])
    record(
        action="experiment.measurement_added",
        actor=actor,
        obj=measurement,
        indicator=indicator.pk,
        selection=selection.pk,
        role=role,
        value=str(number),
        measured_on=measured_on.isoformat(),
        status=indicator.status,
        previous_status=previous,
    )
    return measurement
