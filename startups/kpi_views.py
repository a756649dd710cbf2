"""An experiment's indicators page: each indicator's protocol, status, chart and measurements, and the forms with
which the startup's team, the sponsoring partner and the program team add indicators and measurements."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import kpis, permissions
from .charts import format_date, format_number, indicator_chart
from .models import Indicator, IndicatorStatus, Measurement

NUMBER_INPUT = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
# Where a refusal of `measurement_add` is shown in the form, by its reason code (others above the form).
MEASUREMENT_ERROR_FIELDS = {
    "not_a_number": "value",
    "digits": "value",
    "unit": "unit",
    "date": "measured_on",
    "future": "measured_on",
    "before_start": "measured_on",
    "source": "source",
}
INDICATOR_ERROR_FIELDS = {"not_a_number": None, "digits": None, "target": "target", "unit": "unit"}


class IndicatorForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Indicator"), max_length=200)
    unit = forms.CharField(
        label=gettext_lazy("Unit"), max_length=40, help_text=gettext_lazy("e.g. litres/day, %, minutes, kWh.")
    )
    baseline = forms.CharField(
        label=gettext_lazy("Baseline"),
        max_length=kpis.MAX_NUMBER_LENGTH,
        widget=NUMBER_INPUT,
        help_text=gettext_lazy("The value before the experiment."),
    )
    target = forms.CharField(
        label=gettext_lazy("Target"),
        max_length=kpis.MAX_NUMBER_LENGTH,
        widget=NUMBER_INPUT,
        help_text=gettext_lazy("The value the experiment aims for, above or below the baseline."),
    )
    method = forms.CharField(
        label=gettext_lazy("How it is measured"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MeasurementForm(forms.Form):
    value = forms.CharField(label=gettext_lazy("Value"), max_length=kpis.MAX_NUMBER_LENGTH, widget=NUMBER_INPUT)
    unit = forms.CharField(
        label=gettext_lazy("Unit"), max_length=40, help_text=gettext_lazy("The indicator's unit: convert first.")
    )
    measured_on = forms.DateField(
        label=gettext_lazy("Measured on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    source = forms.CharField(
        label=gettext_lazy("Source"),
        max_length=300,
        help_text=gettext_lazy("Where the value comes from: a meter, a survey, a report..."),
    )


@dataclass
class IndicatorBlock:
    """What the page shows of one indicator."""

    indicator: Indicator
    status: str
    status_label: str
    chart: SafeString
    rows: list[tuple[Measurement, str, str]]
    form: MeasurementForm | None = field(default=None)

    @property
    def baseline(self) -> str:
        return format_number(self.indicator.baseline)

    @property
    def target(self) -> str:
        return format_number(self.indicator.target)


def _blocks(indicators: list[Indicator], *, with_forms: bool, today: Any) -> list[IndicatorBlock]:
    language = translation.get_language()
    blocks = []
    for indicator in indicators:
        measurements = list(indicator.measurements.all())
        status = kpis.indicator_status(indicator, measurements)
        form = None
        if with_forms:
            initial = {"unit": indicator.unit, "measured_on": today}
            form = MeasurementForm(prefix=f"m{indicator.pk}", initial=initial)
        blocks.append(
            IndicatorBlock(
                indicator=indicator,
                status=status,
                status_label=str(IndicatorStatus(status).label),
                chart=indicator_chart(indicator, measurements, language=language, table=False),
                rows=[(row, format_date(row.measured_on), format_number(row.value)) for row in measurements],
                form=form,
            )
        )
    return blocks


def _refusal_to(form: forms.Form, refusal: kpis.KpiRefused, fields: Mapping[str, str | None]) -> None:
    form.add_error(fields.get(refusal.details.get("reason_code", "")), str(refusal))


@login_required
def page(request, pk: int):
    selection = permissions.access_experiment(request.user, pk)
    may_record = kpis.may_record(request.user, selection)
    today = timezone.localdate(timezone=selection.program.time_zone)
    blocks = _blocks(list(kpis.indicators_of(selection)), with_forms=may_record, today=today)
    indicator_form = IndicatorForm(prefix="indicator") if may_record else None
    url = reverse("experiments:indicators", args=[selection.pk])
    if request.method == "POST" and not may_record:
        raise PermissionDenied
    if request.method == "POST":
        posted = request.POST.get("form", "")
        if posted == "indicator":
            indicator_form = IndicatorForm(request.POST, prefix="indicator")
            if indicator_form.is_valid():
                try:
                    indicator = kpis.indicator_save(
                        selection=selection, actor=request.user, data=indicator_form.cleaned_data
                    )
                except kpis.KpiRefused as refusal:
                    _refusal_to(indicator_form, refusal, INDICATOR_ERROR_FIELDS)
                else:
                    messages.success(request, _("The indicator is added."))
                    return redirect(f"{url}#indicator-{indicator.pk}")
        else:
            block = next((block for block in blocks if posted == f"measurement-{block.indicator.pk}"), None)
            if block is None:
                messages.error(request, _("This indicator is no longer on the page: try again."))
            else:
                form = block.form = MeasurementForm(request.POST, prefix=f"m{block.indicator.pk}")
                if form.is_valid():
                    try:
                        kpis.measurement_add(indicator=block.indicator, actor=request.user, **form.cleaned_data)
                    except kpis.KpiRefused as refusal:
                        _refusal_to(form, refusal, MEASUREMENT_ERROR_FIELDS)
                    else:
                        messages.success(request, _("The measurement is recorded."))
                        return redirect(f"{url}#indicator-{block.indicator.pk}")
        status = 400
    else:
        status = 200
    context = {
        "selection": selection,
        "blocks": blocks,
        "may_record": may_record,
        "indicator_form": indicator_form,
    }
    return render(request, "experiments/indicators.html", context, status=status)
