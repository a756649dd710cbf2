"""Indicator charts drawn on the server as inline SVG: no script, no external resource and no inline style (the CSP
forbids them; the classes are styled in static/css/experiments.css), with a title, a description and a table of the
measurements for people who do not see the chart."""

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.utils import formats, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Indicator, Measurement

# Room around the plot for the value labels (left), the baseline and target labels (right) and the dates (below).
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 96, 16, 32


def format_number(value: Decimal) -> str:
    """A decimal as the active language writes it, without the columns' trailing zeros (812, not 812.0000)."""
    value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def format_date(day: date) -> str:
    return formats.date_format(day, "DATE_FORMAT", use_l10n=True)


def _join(parts: list[SafeString]) -> SafeString:
    """Safe parts (each built by format_html, which escapes every value) joined, still safe."""
    joined = SafeString()
    for part in parts:
        joined += part
    return joined


def _scale(value: float, low: float, high: float, start: float, end: float) -> float:
    return start + (value - low) / (high - low) * (end - start)


def _ordered(measurements: Sequence[Measurement]) -> list[Measurement]:
    return sorted(measurements, key=lambda measurement: (measurement.measured_on, measurement.pk or 0))


def chart_summary(indicator: Indicator, measurements: Sequence[Measurement]) -> str:
    """One sentence saying what the chart shows (its <desc>), in the active language; plain text, escaped where it is
    written."""
    rows = _ordered(measurements)
    unit = indicator.unit
    limits = _("Baseline %(baseline)s %(unit)s; target %(target)s %(unit)s.") % {
        "baseline": format_number(indicator.baseline),
        "target": format_number(indicator.target),
        "unit": unit,
    }
    if not rows:
        return _("%(name)s: no measurement yet.") % {"name": indicator.name} + " " + limits
    counted = ngettext(
        "%(name)s: %(count)s measurement from %(first)s to %(last)s; latest %(value)s %(unit)s.",
        "%(name)s: %(count)s measurements from %(first)s to %(last)s; latest %(value)s %(unit)s.",
        len(rows),
    ) % {
        "name": indicator.name,
        "count": len(rows),
        "first": format_date(rows[0].measured_on),
        "last": format_date(rows[-1].measured_on),
        "value": format_number(rows[-1].value),
        "unit": unit,
    }
    return f"{counted} {limits}"


def _table(indicator: Indicator, rows: list[Measurement], caption_id: str) -> SafeString:
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td></tr>",
        ((format_date(row.measured_on), format_number(row.value)) for row in rows),
    )
    empty = format_html('<tr><td colspan="2">{}</td></tr>', _("No measurement yet.")) if not rows else ""
    return format_html(
        '<table class="visually-hidden" id="{}"><caption>{}</caption><thead><tr><th scope="col">{}</th>'
        '<th scope="col">{}</th></tr></thead><tbody>{}{}</tbody></table>',
        caption_id,
        _("Measurements of %(name)s") % {"name": indicator.name},
        _("Date"),
        _("Value (%(unit)s)") % {"unit": indicator.unit},
        body,
        empty,
    )


def indicator_chart(
    indicator: Indicator,
    measurements: Sequence[Measurement],
    *,
    width: int = 480,
    height: int = 200,
    language: str | None = None,
    table: bool = True,
) -> SafeString:
    """The indicator's chart: its baseline and target as labelled horizontal lines, its measurements as a line with
    points, dates on the x axis scaled by time over the edition (widened to the measurements' dates). With `table`,
    a figure holding the SVG and a visually hidden table of the measurements; without, the SVG alone (for a page that
    shows the measurements in a table of its own)."""
    with translation.override(language or translation.get_language()):
        return _chart(indicator, _ordered(measurements), width=width, height=height, table=table)


def _chart(indicator: Indicator, rows: list[Measurement], *, width: int, height: int, table: bool) -> SafeString:
    program = indicator.selection.program
    key = f"kpi-{indicator.pk or 'new'}"
    left, right = MARGIN_LEFT, width - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, height - MARGIN_BOTTOM

    days = [row.measured_on for row in rows]
    first_day = min([program.starts_on, *days])
    last_day = max([program.ends_on, *days])
    if first_day == last_day:  # one day only: give the axis a width
        first_day, last_day = first_day - timedelta(days=1), last_day + timedelta(days=1)
    values = [float(indicator.baseline), float(indicator.target), *(float(row.value) for row in rows)]
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    low, high = low - pad, high + pad

    def x(day: date) -> float:
        return round(_scale((day - first_day).days, 0, (last_day - first_day).days, left, right), 1)

    def y(value: Decimal) -> float:
        return round(_scale(float(value), low, high, bottom, top), 1)

    parts: list[SafeString] = [
        format_html('<title id="{}-title">{}</title>', key, indicator.name),
        format_html('<desc id="{}-desc">{}</desc>', key, chart_summary(indicator, rows)),
        format_html(
            '<line class="kpi-axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor"/>', left, top, left, bottom
        ),
        format_html(
            '<line class="kpi-axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor"/>',
            left,
            bottom,
            right,
            bottom,
        ),
        format_html(
            '<text class="kpi-label" x="{}" y="{}" text-anchor="start">{}</text>',
            left,
            height - 8,
            format_date(first_day),
        ),
        format_html(
            '<text class="kpi-label" x="{}" y="{}" text-anchor="end">{}</text>',
            right,
            height - 8,
            format_date(last_day),
        ),
    ]
    for kind, label, value in (
        ("baseline", _("Baseline"), indicator.baseline),
        ("target", _("Target"), indicator.target),
    ):
        parts.append(
            format_html(
                '<line class="kpi-{}" x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor" stroke-dasharray="{}"/>'
                '<text class="kpi-label kpi-{}-label" x="{}" y="{}" dominant-baseline="middle">{}</text>'
                '<text class="kpi-label" x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>',
                kind,
                left,
                y(value),
                right,
                y(value),
                "6 4" if kind == "baseline" else "2 3",
                kind,
                right + 4,
                y(value),
                label,
                left - 4,
                y(value),
                format_number(value),
            )
        )
    if rows:
        points = " ".join(f"{x(row.measured_on)},{y(row.value)}" for row in rows)
        parts.append(
            format_html(
                '<polyline class="kpi-series" points="{}" fill="none" stroke="currentColor" stroke-width="2"/>', points
            )
        )
        parts.extend(
            format_html(
                '<circle class="kpi-point" cx="{}" cy="{}" r="4" fill="currentColor"><title>{}: {} {}</title></circle>',
                x(row.measured_on),
                y(row.value),
                format_date(row.measured_on),
                format_number(row.value),
                indicator.unit,
            )
            for row in rows
        )
    else:
        parts.append(
            format_html(
                '<text class="kpi-empty" x="{}" y="{}" text-anchor="middle">{}</text>',
                round((left + right) / 2, 1),
                round((top + bottom) / 2, 1),
                _("No measurement yet"),
            )
        )
    svg = format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="kpi-chart" dir="ltr" direction="ltr" role="img" '
        'width="{}" height="{}" '
        'viewBox="0 0 {} {}" aria-labelledby="{}-title" aria-describedby="{}-desc" focusable="false">{}</svg>',
        width,
        height,
        width,
        height,
        key,
        key,
        _join(parts),
    )
    if not table:
        return svg
    return format_html('<figure class="kpi-figure">{}{}</figure>', svg, _table(indicator, rows, f"{key}-table"))
