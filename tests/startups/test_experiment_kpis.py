"""An experiment's KPI protocol: the indicators' SVG charts (well-formed, accessible, escaped, for 0, 1 and many
measurements), the status rule, measurements refused when not a number, in another unit or in the future (nothing
stored), the French decimal comma, the page to the experiment's parties only, at a constant number of queries."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from datacity.audit.models import AuditEntry
from startups import kpis
from startups.charts import indicator_chart
from startups.models import Indicator, IndicatorStatus, Measurement
from tests.factories import (
    IndicatorFactory,
    MeasurementFactory,
    PartnerMembershipFactory,
    ProgramFactory,
    SelectionFactory,
    StartupMembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


class World:
    def __init__(self):
        self.selection = SelectionFactory.create()
        self.member = StartupMembershipFactory.create(startup=self.selection.startup).user
        self.partner = PartnerMembershipFactory.create(partner=self.selection.sponsor).user
        other = SelectionFactory.create(program=self.selection.program)
        self.other_member = StartupMembershipFactory.create(startup=other.startup).user
        self.other_partner = PartnerMembershipFactory.create(partner=other.sponsor).user
        self.staff = UserFactory.create(is_staff=True)
        self.staff.user_permissions.add(*Permission.objects.filter(codename="view_selection"))
        self.indicator = IndicatorFactory.create(selection=self.selection, unit="litres/day")


@pytest.fixture
def world():
    return World()


def page_url(selection):
    return reverse("experiments:indicators", args=[selection.pk])


def add(world, *, value="812", unit="litres/day", measured_on=None, source="District meter", actor=None):
    return kpis.measurement_add(
        indicator=world.indicator,
        actor=actor or world.member,
        value=value,
        unit=unit,
        measured_on=measured_on or timezone.localdate() - timedelta(days=1),
        source=source,
    )


# --- Charts ----------------------------------------------------------------------------------------------------------


def parse(markup: str) -> ET.Element:
    figure = ET.fromstring(markup)  # noqa: S314 - our own markup; well-formed, or this raises
    svg = figure.find(f"{SVG}svg")
    assert svg is not None
    return svg


def assert_safe(markup: str, svg: ET.Element) -> None:
    assert "<script" not in markup.lower()
    assert "style=" not in markup
    assert "href" not in markup
    assert svg.get("role") == "img"
    assert svg.get("dir") == "ltr"
    assert svg.find(f"{SVG}title") is not None
    assert svg.find(f"{SVG}desc") is not None


def polyline_points(svg: ET.Element) -> int:
    polyline = svg.find(f"{SVG}polyline")
    return 0 if polyline is None else len(polyline.get("points", "").split())


def test_a_chart_without_measurement_shows_the_baseline_and_target_and_says_so(world):
    markup = str(indicator_chart(world.indicator, [], language="en"))
    svg = parse(markup)
    assert_safe(markup, svg)
    assert polyline_points(svg) == 0
    texts = [text.text for text in svg.iter(f"{SVG}text")]
    assert "No measurement yet" in texts
    assert {"Baseline", "Target", "1,000", "700"} <= set(texts)
    assert "no measurement yet" in svg.findtext(f"{SVG}desc", "")


def test_a_chart_of_one_measurement_is_one_point_even_with_equal_dates_and_values(world):
    program = world.selection.program
    program.ends_on = program.starts_on  # one day only: no division by zero on either axis
    program.save()
    indicator = IndicatorFactory.create(selection=world.selection, baseline=Decimal(5), target=Decimal(5))
    measurement = MeasurementFactory.build(indicator=indicator, value=Decimal(5), measured_on=program.starts_on)
    markup = str(indicator_chart(indicator, [measurement], language="en"))
    svg = parse(markup)
    assert_safe(markup, svg)
    assert polyline_points(svg) == 1
    assert len(svg.findall(f"{SVG}circle")) == 1


def test_a_chart_of_many_measurements_scales_dates_by_time_and_describes_them(world):
    start = world.selection.program.starts_on
    days = [start + timedelta(days=n) for n in (0, 1, 2, 30, 60)]
    rows = [
        MeasurementFactory.create(indicator=world.indicator, value=Decimal(value), measured_on=day)
        for value, day in zip(("990", "950", "930,5".replace(",", "."), "870", "812"), days, strict=True)
    ]
    markup = str(indicator_chart(world.indicator, list(reversed(rows)), language="en"))
    svg = parse(markup)
    assert_safe(markup, svg)
    assert polyline_points(svg) == 5
    polyline = svg.find(f"{SVG}polyline")
    assert polyline is not None
    xs = [float(point.split(",")[0]) for point in polyline.get("points", "").split()]
    assert xs == sorted(xs)
    assert xs[1] - xs[0] < (xs[3] - xs[2]) / 10  # one day apart, then 28 days apart: scaled by time
    desc = svg.findtext(f"{SVG}desc", "")
    assert "5 measurements" in desc
    assert "latest 812 litres/day" in desc
    assert "target 700" in desc
    table = ET.fromstring(markup).find("table")  # noqa: S314 - our own markup
    assert table is not None
    assert table.get("class") == "visually-hidden"
    assert len(table.findall("tbody/tr")) == 5


def test_a_chart_is_written_in_the_language_asked(world):
    MeasurementFactory.create(indicator=world.indicator, value=Decimal("812.5"))
    markup = str(indicator_chart(world.indicator, list(world.indicator.measurements.all()), language="fr"))
    assert "812,5" in markup
    assert "Référence" in markup  # the baseline's label, in French


def test_a_hostile_name_and_unit_are_escaped(world):
    world.indicator.name = "<script>alert(1)</script>"
    world.indicator.unit = '"><svg onload=alert(1)>'
    measurement = MeasurementFactory.build(indicator=world.indicator)
    markup = str(indicator_chart(world.indicator, [measurement], language="en"))
    svg = parse(markup)
    assert_safe(markup, svg)
    assert "onload" not in {name for element in svg.iter() for name in element.attrib}
    assert svg.findtext(f"{SVG}title") == "<script>alert(1)</script>"
    assert "&lt;script&gt;" in markup


# --- The status rule ------------------------------------------------------------------------------------------------


def status(*, baseline, target, latest, today, starts=date(2026, 1, 1), ends=date(2026, 12, 31)):
    program = ProgramFactory.build(starts_on=starts, ends_on=ends)
    selection = SelectionFactory.build(program=program)
    indicator = IndicatorFactory.build(selection=selection, baseline=Decimal(baseline), target=Decimal(target))
    measurements = [MeasurementFactory.build(indicator=indicator, value=Decimal(latest), measured_on=starts)]
    return kpis.indicator_status(indicator, measurements, today=today)


def test_without_measurement_the_indicator_is_not_started(world):
    assert kpis.indicator_status(world.indicator, []) == IndicatorStatus.NOT_STARTED


@pytest.mark.parametrize(
    ("baseline", "target", "latest", "today", "expected"),
    [
        # Upwards: reaching means at or above the target.
        ("0", "40", "40", date(2026, 3, 1), IndicatorStatus.ACHIEVED),
        ("0", "40", "55", date(2027, 3, 1), IndicatorStatus.ACHIEVED),  # reached stays reached after the end
        # Downwards: reaching means at or below it.
        ("1000", "700", "700", date(2026, 3, 1), IndicatorStatus.ACHIEVED),
        ("1000", "700", "650", date(2026, 3, 1), IndicatorStatus.ACHIEVED),
        # Half the time elapsed (2 July): 40 % of the way is within the 10 points' margin, 30 % is not.
        ("1000", "700", "880", date(2026, 7, 2), IndicatorStatus.ON_TRACK),
        ("1000", "700", "910", date(2026, 7, 2), IndicatorStatus.AT_RISK),
        ("0", "40", "16", date(2026, 7, 2), IndicatorStatus.ON_TRACK),
        ("0", "40", "12", date(2026, 7, 2), IndicatorStatus.AT_RISK),
        ("1000", "700", "1020", date(2026, 1, 1), IndicatorStatus.ON_TRACK),  # day one: 0 % elapsed, 10 points margin
        ("1000", "700", "1200", date(2026, 2, 1), IndicatorStatus.AT_RISK),  # the wrong way
        # The edition is over and the target not reached.
        ("1000", "700", "701", date(2027, 1, 1), IndicatorStatus.MISSED),
        ("0", "40", "39", date(2027, 1, 1), IndicatorStatus.MISSED),
    ],
)
def test_the_status_rule(baseline, target, latest, today, expected):
    assert status(baseline=baseline, target=target, latest=latest, today=today) == expected


def test_the_latest_measurement_by_date_decides(world):
    program = world.selection.program
    rows = [
        MeasurementFactory.build(indicator=world.indicator, value=Decimal(650), measured_on=program.starts_on),
        MeasurementFactory.build(indicator=world.indicator, value=Decimal(990), measured_on=timezone.localdate()),
    ]
    assert kpis.indicator_status(world.indicator, list(reversed(rows))) == IndicatorStatus.AT_RISK


# --- Services --------------------------------------------------------------------------------------------------------


def test_a_measurement_is_recorded_audited_and_the_status_recomputed(world):
    measurement = add(world, value="690")
    assert measurement.value == Decimal(690)
    assert measurement.measured_by == world.member
    world.indicator.refresh_from_db()
    assert world.indicator.status == IndicatorStatus.ACHIEVED
    assert AuditEntry.objects.filter(action="experiment.measurement_added", object_id=str(measurement.pk)).exists()


@pytest.mark.parametrize(("typed", "expected"), [("12,5", "12.5"), ("1 234,25", "1234.25"), (" 812 ", "812")])
def test_the_french_decimal_comma_is_accepted(world, typed, expected):
    assert add(world, value=typed).value == Decimal(expected)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("abc", "not_a_number"),
        ("", "not_a_number"),
        ("NaN", "not_a_number"),
        ("Infinity", "not_a_number"),
        ("-inf", "not_a_number"),
        ("1,234.5", "not_a_number"),
        ("12\n5", "not_a_number"),
        ("1" * 100_000, "not_a_number"),
        ("1e309", "digits"),
        ("1e999999999999999999", "digits"),
        ("123456789012345", "digits"),
        ("1.23456", "digits"),
    ],
)
def test_a_value_that_is_not_a_number_the_columns_hold_is_refused(world, typed, reason):
    with pytest.raises(kpis.KpiRefused) as refused:
        add(world, value=typed)
    assert refused.value.details["reason_code"] == reason
    assert str(refused.value)
    assert not Measurement.objects.exists()
    assert AuditEntry.objects.filter(action="experiment.measurement_refused").exists()


def test_a_value_in_another_unit_is_refused_not_converted(world):
    with pytest.raises(kpis.KpiRefused) as refused:
        add(world, value="0.812", unit="m3/day")
    assert refused.value.details["reason_code"] == "unit"
    assert "litres/day" in str(refused.value)
    assert not Measurement.objects.exists()


def test_a_measurement_in_the_future_or_before_the_edition_or_without_source_is_refused(world):
    program = world.selection.program
    tomorrow = timezone.localdate(timezone=program.time_zone) + timedelta(days=1)
    for kwargs, reason in (
        ({"measured_on": tomorrow}, "future"),
        ({"measured_on": program.starts_on - timedelta(days=1)}, "before_start"),
        ({"source": "  "}, "source"),
        ({"source": "meter\nreading"}, "invalid"),
    ):
        with pytest.raises(kpis.KpiRefused) as refused:
            add(world, **kwargs)
        assert refused.value.details["reason_code"] == reason
        assert str(refused.value)
    assert not Measurement.objects.exists()
    world.indicator.refresh_from_db()
    assert world.indicator.status == IndicatorStatus.NOT_STARTED


def test_only_the_experiment_parties_record(world):
    add(world, actor=world.partner)
    add(world, actor=world.staff)
    for outsider in (world.other_member, world.other_partner, UserFactory.create()):
        with pytest.raises(kpis.KpiRefused) as refused:
            add(world, actor=outsider)
        assert refused.value.details["reason_code"] == "not_a_party"
        with pytest.raises(kpis.KpiRefused):
            kpis.indicator_save(
                selection=world.selection,
                actor=outsider,
                data={"name": "Leaks", "unit": "leaks/week", "baseline": "10", "target": "2"},
            )
    assert Measurement.objects.count() == 2


def test_an_indicator_is_saved_with_numbers_as_people_type_them(world):
    indicator = kpis.indicator_save(
        selection=world.selection,
        actor=world.partner,
        data={"name": "Leaks found per week", "unit": "leaks/week", "baseline": "2,5", "target": "10"},
    )
    assert (indicator.baseline, indicator.target) == (Decimal("2.5"), Decimal(10))
    assert indicator.status == IndicatorStatus.NOT_STARTED
    assert AuditEntry.objects.filter(action="experiment.indicator_created", object_id=str(indicator.pk)).exists()
    for data, reason in (
        ({"name": "Leaks", "unit": "leaks/week", "baseline": "3", "target": "3"}, "target"),
        ({"name": "Leaks", "unit": "leaks/week", "baseline": "abc", "target": "3"}, "not_a_number"),
        ({"name": "Leaks\nper week", "unit": "leaks/week", "baseline": "1", "target": "3"}, "invalid"),
        ({"name": "", "unit": "leaks/week", "baseline": "1", "target": "3"}, "invalid"),
    ):
        with pytest.raises(kpis.KpiRefused) as refused:
            kpis.indicator_save(selection=world.selection, actor=world.member, data=data)
        assert refused.value.details["reason_code"] == reason


def test_the_unit_of_a_measured_indicator_stays(world):
    add(world)
    data = {"name": world.indicator.name, "unit": "m3/day", "baseline": "1", "target": "0,7"}
    with pytest.raises(kpis.KpiRefused) as refused:
        kpis.indicator_save(selection=world.selection, actor=world.member, data=data, indicator=world.indicator)
    assert refused.value.details["reason_code"] == "unit"
    world.indicator.refresh_from_db()
    assert world.indicator.unit == "litres/day"


# --- The page --------------------------------------------------------------------------------------------------------


def test_the_page_is_for_the_experiment_parties_only(client, world):
    for insider in (world.member, world.partner, world.staff):
        client.force_login(insider)
        response = client.get(page_url(world.selection))
        assert response.status_code == 200
        assert world.indicator.name in response.content.decode()
    for outsider in (world.other_member, world.other_partner, UserFactory.create()):
        client.force_login(outsider)
        assert client.get(page_url(world.selection)).status_code == 404
        assert client.post(page_url(world.selection), {"form": "indicator"}).status_code == 404
    client.logout()
    assert client.get(page_url(world.selection)).status_code == 302


def test_the_page_shows_the_protocol_chart_and_measurements(client, world):
    add(world, value="812,5", source="<b>Meter</b>")
    client.force_login(world.partner)
    content = client.get(page_url(world.selection), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<svg" in content
    assert 'role="img"' in content
    assert "css/experiments.css" in content
    assert "&lt;b&gt;Meter&lt;/b&gt;" in content
    assert str(world.member) in content
    assert 'name="form" value="measurement-' in content


def test_the_startup_adds_an_indicator_and_a_measurement_from_the_page(client, world):
    client.force_login(world.member)
    url = page_url(world.selection)
    data = {
        "form": "indicator",
        "indicator-name": "Leaks found per week",
        "indicator-unit": "leaks/week",
        "indicator-baseline": "2",
        "indicator-target": "10",
        "indicator-method": "Counted by the\nmaintenance team.",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    indicator = Indicator.objects.get(name="Leaks found per week")
    prefix = f"m{indicator.pk}"
    measurement = {
        "form": f"measurement-{indicator.pk}",
        f"{prefix}-value": "4,5",
        f"{prefix}-unit": "leaks/week",
        f"{prefix}-measured_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        f"{prefix}-source": "Maintenance log",
    }
    assert client.post(url, measurement).status_code == 302
    assert indicator.measurements.get().value == Decimal("4.5")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("value", "abc"),
        ("value", "1e309"),
        ("value", "x" * 100_000),
        ("value", "1\n2"),
        ("unit", "m3/day"),
        ("unit", "u" * 100_000),
        ("measured_on", "2999-01-01"),
        ("measured_on", "not a date"),
        ("source", "line one\nline two"),
        ("source", "s" * 100_000),
    ],
)
def test_hostile_measurements_are_shown_again_with_their_errors(client, world, field, value):
    client.force_login(world.member)
    prefix = f"m{world.indicator.pk}"
    data = {
        "form": f"measurement-{world.indicator.pk}",
        f"{prefix}-value": "812",
        f"{prefix}-unit": "litres/day",
        f"{prefix}-measured_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        f"{prefix}-source": "District meter",
        f"{prefix}-{field}": value,
    }
    response = client.post(page_url(world.selection), data)
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    assert not Measurement.objects.exists()


def test_hostile_indicators_and_unknown_forms_are_answered_400(client, world):
    client.force_login(world.member)
    url = page_url(world.selection)
    for data in (
        {"form": "indicator", "indicator-name": "n" * 100_000, "indicator-unit": "u", "indicator-baseline": "1"},
        {
            "form": "indicator",
            "indicator-name": "a",
            "indicator-unit": "u",
            "indicator-baseline": "1e309",
            "indicator-target": "2",
        },
        {"form": "measurement-999999"},
        {"form": "x" * 100_000},
    ):
        assert client.post(url, data).status_code == 400
    assert Indicator.objects.count() == 1


def test_the_page_makes_the_same_number_of_queries_whatever_the_indicators(client, world):
    client.force_login(world.member)
    url = page_url(world.selection)
    MeasurementFactory.create(indicator=world.indicator, measured_by=world.partner)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            assert response.status_code == 200
        return len(queries)

    small = count()
    for _n in range(2):
        IndicatorFactory.create(selection=world.selection)
    for indicator in Indicator.objects.all():
        for _m in range(5 - indicator.measurements.count()):
            MeasurementFactory.create(indicator=indicator)
    assert Measurement.objects.count() == 15
    assert count() == small


# --- The admin -------------------------------------------------------------------------------------------------------


def test_staff_write_indicators_in_the_admin_through_the_service(client, world):
    superuser = UserFactory.create(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    MeasurementFactory.create(indicator=world.indicator, source="Meter <b>7</b>")
    change = reverse("admin:startups_indicator_change", args=[world.indicator.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert "Meter &lt;b&gt;7&lt;/b&gt;" in page.content.decode()  # the measurements, read only
    assert client.get(reverse("admin:startups_indicator_delete", args=[world.indicator.pk])).status_code == 403

    add = reverse("admin:startups_indicator_add")
    data = {
        "selection": world.selection.pk,
        "order": "3",
        "name": "Leaks found per week",
        "unit": "leaks/week",
        "baseline": "2",
        "target": "2",
        "method": "",
        "measurements-TOTAL_FORMS": "0",
        "measurements-INITIAL_FORMS": "0",
    }
    response = client.post(add, data)
    assert response.status_code == 302
    assert not Indicator.objects.filter(name="Leaks found per week").exists()
    assert AuditEntry.objects.filter(action="experiment.indicator_refused").exists()

    response = client.post(add, {**data, "target": "10"})
    assert response.status_code == 302
    indicator = Indicator.objects.get(name="Leaks found per week")
    assert indicator.target == Decimal(10)
    assert AuditEntry.objects.filter(action="experiment.indicator_created", object_id=str(indicator.pk)).exists()
