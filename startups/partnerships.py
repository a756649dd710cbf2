"""What came after the experiments: the partnerships between startups and partners (pilot, letter of intent,
contract, scale-up, stopped), recorded by either party or staff, each party deciding alone whether it may be
published; and the follow-up questionnaires the clock sends the selected startups 6, 12 and 24 months after their
edition's demo day. The audited writes, the clock, and the reads of the experiment's page, staff's funnel and the
public list."""

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from challenges.models import Program
from datacity.audit.services import Refused, audited_transaction, record
from datacity.notifications.services import notify
from partners.models import Partner, PartnerMembership

from .models import (
    FollowUpSurvey,
    Partnership,
    PartnershipStage,
    ProcurementRoute,
    Selection,
    Startup,
    StartupMembership,
)
from .notices import FOLLOW_UP_DUE

# Stages that mean a signed agreement: they need the signing date, and only they are ever public.
SIGNED_STAGES = (PartnershipStage.CONTRACT, PartnershipStage.SCALE)
# The funnel's order; "stopped" stands apart (it says nothing of how far the partnership went).
FUNNEL_STAGES = (
    PartnershipStage.PILOT,
    PartnershipStage.LETTER_OF_INTENT,
    PartnershipStage.CONTRACT,
    PartnershipStage.SCALE,
)
VALUE_MAX = Decimal("999999999999.99")  # the model's 14 digits, 2 of them decimals
NOTES_MAX = 5_000

FOLLOW_UP_MONTHS = (6, 12, 24)
# After downtime the clock still sends a questionnaire this late; an older one (an edition that ended before the
# platform existed, or a clock down for months) gets its row, answerable from the experiment's pages, without a
# notice: a mail about a demo day years ago would be noise.
FOLLOW_UP_CATCH_UP = timedelta(days=90)
ANSWER_TEXT_MAX = 5_000
EMPLOYEES_MAX = 100_000


class PartnershipRefused(Refused):
    """A partnership or follow-up change refused by the rules; `details["reason_code"]` says which,
    `details["field"]` the input it is about, when one is."""


# --- Calendar months -----------------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """`day` moved by `months` calendar months, the day clamped to the month's last (31 January + 1 month is the
    28th or 29th of February; 29 February + 12 months is 28 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- Who records a partnership ---------------------------------------------------------------------------------------


def _authenticated(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and bool(getattr(actor, "is_active", False))


def is_staff_recorder(actor: Any) -> bool:
    return _authenticated(actor) and actor.is_staff and actor.has_perm("startups.change_partnership")


def partnership_sides(actor: Any, startup: Startup, partner: Partner) -> set[str]:
    """The sides `actor` takes in a partnership between `startup` and `partner`: "startup", "partner" (as a member),
    "staff"; empty for anyone else."""
    if not _authenticated(actor):
        return set()
    sides = set()
    if StartupMembership.objects.filter(startup=startup, user=actor).exists():
        sides.add("startup")
    if PartnerMembership.objects.filter(partner=partner, user=actor).exists():
        sides.add("partner")
    if is_staff_recorder(actor):
        sides.add("staff")
    return sides


def _refuse(message: str, *, obj: Any, reason_code: str, field: str = "", action: str = "") -> PartnershipRefused:
    return PartnershipRefused(
        message, action=action or "partnership.refused", obj=obj, reason_code=reason_code, field=field
    )


def _decimal(value: Any, *, obj: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite():
        raise _refuse(_("Enter the value as a number of dirhams."), obj=obj, reason_code="value", field="value")
    if number < 0:
        raise _refuse(_("The value cannot be negative."), obj=obj, reason_code="value", field="value")
    if number > VALUE_MAX:
        raise _refuse(_("This value is too large."), obj=obj, reason_code="value", field="value")
    return number.quantize(Decimal("0.01"))


def _date(value: Any, *, obj: Any, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        parsed = parse_date(str(value))
    except ValueError:
        parsed = None
    if parsed is None:
        raise _refuse(_("Enter a valid date."), obj=obj, reason_code="date", field=name)
    return parsed


@audited_transaction
def partnership_save(
    *,
    actor: Any,
    startup: Startup,
    partner: Partner,
    selection: Selection | None = None,
    data: Mapping[str, Any],
    partnership: Partnership | None = None,
) -> Partnership:
    """Record a partnership between `startup` and `partner` (from the experiment `selection`, if any), or change
    `partnership`: staff, or a member of either party. `data` may hold stage, value (MAD), procurement_route,
    started_on, signed_on, ended_on, notes and the consent flags; a key left out keeps its value. Each party gives
    or withdraws its own consent to publication only (staff record what a party agreed to). A contract or a scale-up
    needs its signing date; dates are ordered."""
    obj: Any = partnership or selection or startup
    sides = partnership_sides(actor, startup, partner)
    if not sides:
        raise _refuse(
            _("Only the startup, the partner and the program team record this partnership."),
            obj=obj,
            reason_code="not_a_party",
        )
    if selection is not None and selection.startup_id != startup.pk:
        raise _refuse(_("This experiment is another startup's."), obj=obj, reason_code="selection")
    if partnership is None:
        # One partnership per startup, partner and experiment: recording it again changes it.
        partnership = (
            Partnership.objects.select_for_update()
            .filter(startup=startup, partner=partner, selection=selection)
            .first()
        )
    else:
        partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
        if (partnership.startup_id, partnership.partner_id, partnership.selection_id) != (
            startup.pk,
            partner.pk,
            selection.pk if selection else None,
        ):
            raise _refuse(_("This partnership is between other parties."), obj=partnership, reason_code="parties")
    creating = partnership is None
    if partnership is None:
        partnership = Partnership(startup=startup, partner=partner, selection=selection)
    before = _snapshot(partnership)

    for flag, side in (("startup_agrees_public", "startup"), ("partner_agrees_public", "partner")):
        if flag not in data:
            continue
        wanted = bool(data[flag])
        if wanted != getattr(partnership, flag) and not sides & {side, "staff"}:
            raise _refuse(
                _("Only the startup decides whether it agrees to publish the partnership.")
                if side == "startup"
                else _("Only the partner decides whether it agrees to publish the partnership."),
                obj=obj,
                reason_code="consent",
                field=flag,
            )
        setattr(partnership, flag, wanted)

    if "stage" in data:
        if data["stage"] not in PartnershipStage.values:
            raise _refuse(_("Choose a stage from the list."), obj=obj, reason_code="stage", field="stage")
        partnership.stage = data["stage"]
    if "procurement_route" in data:
        route = data["procurement_route"] or ""
        if route and route not in ProcurementRoute.values:
            raise _refuse(
                _("Choose a procurement route from the list."),
                obj=obj,
                reason_code="procurement_route",
                field="procurement_route",
            )
        partnership.procurement_route = route
    if "value" in data:
        partnership.value = _decimal(data["value"], obj=obj)
    for name in ("started_on", "signed_on", "ended_on"):
        if name in data:
            setattr(partnership, name, _date(data[name], obj=obj, name=name))
    if "notes" in data:
        notes = str(data["notes"] or "").strip()
        if len(notes) > NOTES_MAX:
            raise _refuse(
                _("The notes may hold %(limit)d characters at most.") % {"limit": NOTES_MAX},
                obj=obj,
                reason_code="notes",
                field="notes",
            )
        partnership.notes = notes

    started, signed, ended = partnership.started_on, partnership.signed_on, partnership.ended_on
    if started and signed and signed < started:
        raise _refuse(
            _("The signing date cannot be before the start."), obj=obj, reason_code="dates", field="signed_on"
        )
    if started and ended and ended < started:
        raise _refuse(_("The end cannot be before the start."), obj=obj, reason_code="dates", field="ended_on")
    if partnership.stage in SIGNED_STAGES and signed is None:
        raise _refuse(
            _("A contract or a scale-up needs the date it was signed."),
            obj=obj,
            reason_code="signed_on",
            field="signed_on",
        )
    partnership.save()
    after = _snapshot(partnership)
    changes = {name: value for name, value in after.items() if before.get(name) != value}
    if "notes" in changes:
        changes["notes"] = "(changed)"  # never public: the log says that they changed, not what they say
    record(
        action="partnership.created" if creating else "partnership.changed",
        actor=actor,
        obj=partnership,
        sides=sorted(sides),
        changes=changes,
    )
    return partnership


def _snapshot(partnership: Partnership) -> dict[str, Any]:
    fields = ("stage", "value", "procurement_route", "started_on", "signed_on", "ended_on", "notes")
    flags = ("startup_agrees_public", "partner_agrees_public")
    values: dict[str, Any] = {name: getattr(partnership, name) for name in (*fields, *flags)}
    return {name: (str(value) if value is not None and name not in flags else value) for name, value in values.items()}


# --- Follow-up questionnaires: the questions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    key: str
    label: Any
    kind: str  # "yes_no", "integer", "choice", "text"
    required: bool = True
    choices: tuple[tuple[str, Any], ...] = ()


YES_NO = (("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No")))
REVENUE_BANDS = (
    ("none", gettext_lazy("No revenue")),
    ("under_100k", gettext_lazy("Under 100,000 MAD")),
    ("100k_1m", gettext_lazy("100,000 to 1 million MAD")),
    ("1m_10m", gettext_lazy("1 to 10 million MAD")),
    ("over_10m", gettext_lazy("Over 10 million MAD")),
)
QUESTIONS: tuple[Question, ...] = (
    Question("still_operating", gettext_lazy("Is the startup still operating?"), "yes_no", choices=YES_NO),
    Question("employees", gettext_lazy("How many people does it employ today?"), "integer"),
    Question("revenue_band", gettext_lazy("Its revenue over the last twelve months"), "choice", choices=REVENUE_BANDS),
    Question(
        "partnerships",
        gettext_lazy("Partnerships, pilots or contracts since the demo day"),
        "text",
        required=False,
    ),
    Question("program_effect", gettext_lazy("What the program changed for the startup"), "text", required=False),
)


def clean_answers(answers: Mapping[str, Any], *, obj: Any = None) -> dict[str, Any]:
    """The answers checked against `QUESTIONS` (unknown keys dropped): the first problem refuses them, naming the
    question it is about."""
    cleaned: dict[str, Any] = {}
    for question in QUESTIONS:
        raw = answers.get(question.key)
        text = "" if raw is None else str(raw).strip()
        if not text:
            if question.required:
                raise _refuse(
                    _("Answer this question: %(question)s") % {"question": question.label},
                    obj=obj,
                    reason_code="required",
                    field=question.key,
                    action="experiment.follow_up_refused",
                )
            cleaned[question.key] = ""
            continue
        if question.kind == "integer":
            if not text.isdigit() or int(text) > EMPLOYEES_MAX:
                raise _refuse(
                    _("Enter a whole number of people, 0 or more."),
                    obj=obj,
                    reason_code="employees",
                    field=question.key,
                    action="experiment.follow_up_refused",
                )
            cleaned[question.key] = int(text)
        elif question.kind in ("yes_no", "choice"):
            if text not in dict(question.choices):
                raise _refuse(
                    _("Choose one of the answers offered."),
                    obj=obj,
                    reason_code="choice",
                    field=question.key,
                    action="experiment.follow_up_refused",
                )
            cleaned[question.key] = text
        else:
            if len(text) > ANSWER_TEXT_MAX:
                raise _refuse(
                    _("This answer may hold %(limit)d characters at most.") % {"limit": ANSWER_TEXT_MAX},
                    obj=obj,
                    reason_code="too_long",
                    field=question.key,
                    action="experiment.follow_up_refused",
                )
            cleaned[question.key] = text
    return cleaned


@audited_transaction
def follow_up_answer(*, survey: FollowUpSurvey, actor: Any, answers: Mapping[str, Any]) -> FollowUpSurvey:
    """A member of the selected startup answers the questionnaire; answering again replaces the answers (both are
    in the audit log)."""
    survey = FollowUpSurvey.objects.select_for_update().select_related("selection").get(pk=survey.pk)
    if not (
        _authenticated(actor)
        and StartupMembership.objects.filter(startup_id=survey.selection.startup_id, user=actor).exists()
    ):
        raise _refuse(
            _("Only the startup's members answer its follow-up questionnaire."),
            obj=survey,
            reason_code="not_member",
            action="experiment.follow_up_refused",
        )
    cleaned = clean_answers(answers, obj=survey)
    updated = survey.answered_at is not None
    survey.answers, survey.answered_by, survey.answered_at = cleaned, actor, timezone.now()
    survey.save(update_fields=["answers", "answered_by", "answered_at"])
    record(
        action="experiment.follow_up_updated" if updated else "experiment.follow_up_answered",
        actor=actor,
        obj=survey,
        selection=survey.selection_id,
        months=survey.months,
        answers=cleaned,
    )
    return survey


# --- Follow-up questionnaires: the clock ------------------------------------------------------------------------------


def follow_up_base(program: Program) -> date:
    """The day the follow-ups count from: the edition's demo day (in its time zone), else its last day."""
    demo_day = getattr(program, "demo_day", None)
    if demo_day is not None:
        return timezone.localtime(demo_day.starts_at, program.time_zone).date()
    return program.ends_on


def follow_up_dates(program: Program) -> dict[int, date]:
    base = follow_up_base(program)
    return {months: add_months(base, months) for months in FOLLOW_UP_MONTHS}


def _survey_url(survey: FollowUpSurvey) -> str:
    return reverse("experiments:follow_up", kwargs={"pk": survey.selection_id, "months": survey.months})


def follow_ups_due(*, now: datetime | None = None) -> int:
    """Run daily by the clock: for each selection of an edition, the questionnaire of each due date reached (in the
    edition's time zone) gets its row, and the startup's members hear of it once, up to `FOLLOW_UP_CATCH_UP` late
    after downtime; older ones get their row without a notice. Idempotent, and once only even if two runs overlap:
    the rows are unique per selection and due date, and a row is sent under its lock, skipped by another run holding
    it, then marked sent. Returns the notices written."""
    now = now or timezone.now()
    written = 0
    programs = Program.objects.filter(Exists(Selection.objects.filter(program=OuterRef("pk")))).select_related(
        "demo_day"
    )
    for program in programs:
        today = timezone.localdate(now, program.time_zone)
        reached = {months: due for months, due in follow_up_dates(program).items() if due <= today}
        if not reached:
            continue
        selections = list(Selection.objects.filter(program=program).values_list("pk", flat=True))
        FollowUpSurvey.objects.bulk_create(
            [
                FollowUpSurvey(selection_id=selection, months=months, due_on=due)
                for selection in selections
                for months, due in reached.items()
            ],
            ignore_conflicts=True,
        )
        with transaction.atomic():
            waiting = (
                FollowUpSurvey.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(
                    selection__program=program,
                    sent_at__isnull=True,
                    answered_at__isnull=True,
                    due_on__lte=today,
                    due_on__gte=today - FOLLOW_UP_CATCH_UP,
                )
                .select_related("selection__startup", "selection__program")
            )
            for survey in waiting:
                written += _announce_follow_up(survey, program, now)
    return written


def _announce_follow_up(survey: FollowUpSurvey, program: Program, now: datetime) -> int:
    members = StartupMembership.objects.filter(startup_id=survey.selection.startup_id).values("user")
    recipients = get_user_model()._default_manager.filter(pk__in=members, is_active=True)
    written = notify(
        kind=FOLLOW_UP_DUE,
        recipients=recipients,
        obj=survey,
        key=f"follow-up-{survey.pk}",
        url=_survey_url(survey),
        context={
            "months": survey.months,
            "due_on": f"{survey.due_on:%Y-%m-%d}",
            "startup": survey.selection.startup.name,
            "program": program.name,
        },
    )
    survey.sent_at = now
    survey.save(update_fields=["sent_at"])
    return written


# --- Reads -------------------------------------------------------------------------------------------------------


def partnerships_of_experiment(selection: Selection) -> QuerySet[Partnership]:
    """The startup's partnerships the experiment's page shows: with its sponsor, and any recorded from this
    experiment with other partners."""
    related = Q(selection=selection)
    if selection.sponsor_id:
        related |= Q(partner_id=selection.sponsor_id)
    return (
        Partnership.objects.filter(related, startup_id=selection.startup_id)
        .select_related("partner", "selection__program")
        .order_by("partner__name", "pk")
    )


def public_partnerships() -> QuerySet[Partnership]:
    """The partnerships the public sees: signed (a contract or a scale-up), both parties agreeing. The one
    definition of it; `startup_is_public` says whether the startup's page may be linked."""
    public_startup = Startup.objects.selected().filter(pk=OuterRef("startup_id"))
    return (
        Partnership.objects.filter(startup_agrees_public=True, partner_agrees_public=True, stage__in=SIGNED_STAGES)
        .select_related("startup", "partner")
        .annotate(startup_is_public=Exists(public_startup))
        .order_by("-signed_on", "startup__name", "pk")
    )


@dataclass
class FunnelRow:
    stage: str
    label: Any
    count: int = 0
    reached: int = 0  # at this stage or further on


@dataclass
class FollowUpRate:
    months: int
    due_on: date
    total: int = 0
    sent: int = 0
    answered: int = 0

    @property
    def rate(self) -> int | None:
        return round(100 * self.answered / self.total) if self.total else None


@dataclass
class Funnel:
    program: Program
    selections: int
    with_partnership: int
    stages: list[FunnelRow]
    stopped: int
    signed_value: Decimal
    routes: list[tuple[Any, int]]
    partnerships: list[Partnership]
    follow_ups: list[FollowUpRate] = field(default_factory=list)


def edition_funnel(program: Program) -> Funnel:
    """Staff's view of an edition's outcome: its selections' partnerships per stage (and how many reached each
    stage or beyond), the value signed, the procurement routes, the list, and the follow-up response rates. A fixed
    number of queries."""
    partnerships = list(
        Partnership.objects.filter(selection__program=program)
        .select_related("startup", "partner", "selection")
        .order_by("startup__name", "partner__name", "pk")
    )
    counts = dict.fromkeys(PartnershipStage.values, 0)
    routes = dict.fromkeys(ProcurementRoute.values, 0)
    unspecified = 0
    signed_value = Decimal(0)
    for partnership in partnerships:
        counts[partnership.stage] += 1
        if partnership.procurement_route:
            routes[partnership.procurement_route] += 1
        else:
            unspecified += 1
        if partnership.stage in SIGNED_STAGES and partnership.value is not None:
            signed_value += partnership.value
    rows, further = [], 0
    for stage in reversed(FUNNEL_STAGES):
        further += counts[stage]
        rows.append(FunnelRow(stage=stage, label=PartnershipStage(stage).label, count=counts[stage], reached=further))
    route_rows: list[tuple[Any, int]] = [(ProcurementRoute(route).label, count) for route, count in routes.items()]
    route_rows.append((_("Not given"), unspecified))
    dates = follow_up_dates(program)
    rates = {months: FollowUpRate(months=months, due_on=due) for months, due in dates.items()}
    totals = (
        FollowUpSurvey.objects.filter(selection__program=program)
        .values("months")
        .annotate(total=Count("pk"), sent=Count("sent_at"), answered=Count("answered_at"))
        .order_by("months")
    )
    for row in totals:
        rate = rates.setdefault(row["months"], FollowUpRate(months=row["months"], due_on=dates.get(row["months"])))  # type: ignore[arg-type]
        rate.total, rate.sent, rate.answered = row["total"], row["sent"], row["answered"]
    aggregates = Selection.objects.filter(program=program).aggregate(
        selections=Count("pk", distinct=True),
        with_partnership=Count("pk", filter=Q(partnerships__isnull=False), distinct=True),
    )
    return Funnel(
        program=program,
        selections=aggregates["selections"],
        with_partnership=aggregates["with_partnership"],
        stages=list(reversed(rows)),
        stopped=counts[PartnershipStage.STOPPED],
        signed_value=signed_value,
        routes=route_rows,
        partnerships=partnerships,
        follow_ups=[rates[months] for months in sorted(rates)],
    )
