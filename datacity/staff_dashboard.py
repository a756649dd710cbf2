"""The staff's program dashboard: per edition, figures that each lead to the filtered admin list they count.

A figure is one small function registered with `@figures(section)`: it receives the edition and the moment the page
is computed for, and returns `Figure`s, each with its count and the admin changelist URL that lists the same rows.
Later capabilities add theirs the same way. Like the other composed pages, it reads through the apps' selectors.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from challenges import permissions as challenge_permissions
from challenges import selectors as challenge_selectors
from challenges.models import ChallengeStatus, PhaseKind, PhaseStatus, Program
from datacity.audit.context import current
from datacity.audit.services import record
from datacity.notifications.models import MailState, Notification
from partners import selectors as partner_selectors

# How far ahead "soon" looks: an invitation about to expire, a call for applications about to open.
EXPIRING_WITHIN = timedelta(days=3)
CALL_OPENS_WITHIN = timedelta(days=30)


@dataclass(frozen=True)
class Figure:
    label: str
    count: int
    url: str  # the admin list showing exactly the rows counted


@dataclass(frozen=True)
class Moment:
    """When the dashboard is computed, to the minute: its links carry the same instant, so they list what it counted."""

    now: datetime

    @classmethod
    def at(cls, now: datetime) -> "Moment":
        return cls(now=now.replace(second=0, microsecond=0))

    @property
    def soon(self) -> datetime:
        return self.now + EXPIRING_WITHIN

    def param(self, value: datetime) -> str:
        return value.astimezone(UTC).isoformat()


FigureSource = Callable[[Program, Moment], Iterable[Figure]]

SECTIONS: dict[str, Any] = {
    "attention": gettext_lazy("Needs your attention"),
    "challenges": gettext_lazy("Challenges"),
    "partners": gettext_lazy("Partners"),
    "invitations": gettext_lazy("Pending invitations"),
}
SOURCES: list[tuple[str, FigureSource]] = []


def figures(section: str) -> Callable[[FigureSource], FigureSource]:
    """Register a function returning figures for one section of the dashboard."""
    if section not in SECTIONS:
        raise ValueError(f"unknown dashboard section {section!r}: one of {sorted(SECTIONS)}")

    def register(source: FigureSource) -> FigureSource:
        SOURCES.append((section, source))
        return source

    return register


def admin_list(app_label: str, model_name: str, **filters: Any) -> str:
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def id_list(ids: Iterable[int]) -> str:
    return ",".join(str(pk) for pk in ids)


# --- The figures ------------------------------------------------------------------------------------------------
@figures("challenges")
def challenges_by_status(program: Program, moment: Moment) -> Iterable[Figure]:
    counts = challenge_selectors.challenge_counts_by_status(program)
    for status in ChallengeStatus:
        url = admin_list("challenges", "challenge", program__id__exact=program.pk, status__exact=status.value)
        yield Figure(label=str(status.label), count=counts.get(status.value, 0), url=url)


@figures("partners")
def partners(program: Program, moment: Moment) -> Iterable[Figure]:
    yield Figure(_("Partners"), partner_selectors.partner_count(), admin_list("partners", "partner"))
    yield Figure(
        _("Partners without members"),
        partner_selectors.partners_without_members().count(),
        admin_list("partners", "partner", memberships__isnull="True"),
    )


@figures("invitations")
def pending_invitations(program: Program, moment: Moment) -> Iterable[Figure]:
    pending = {"accepted_at__isnull": "True", "expires_at__gt": moment.param(moment.now)}
    yield Figure(
        _("Jury of this edition"),
        challenge_selectors.pending_jury_invitations(program, valid_at=moment.now).count(),
        admin_list("challenges", "juryinvitation", program__id__exact=program.pk, **pending),
    )
    yield Figure(
        _("Partners"),
        partner_selectors.pending_partner_invitations(valid_at=moment.now).count(),
        admin_list("partners", "partnerinvitation", **pending),
    )


@figures("attention")
def drafts_before_the_call(program: Program, moment: Moment) -> Iterable[Figure]:
    """Challenges still in draft while the call for applications opens within a month."""
    call = next((phase for phase in program.phases.all() if phase.kind == PhaseKind.CALL_FOR_APPLICATIONS), None)
    if call is None or not moment.now < call.starts_at <= moment.now + CALL_OPENS_WITHIN:
        return
    drafts = challenge_selectors.challenge_counts_by_status(program).get(ChallengeStatus.DRAFT, 0)
    if drafts:
        opens = date_format(timezone.localtime(call.starts_at, program.time_zone), "DATE_FORMAT")
        yield Figure(
            _("Draft challenges while the call opens on %(date)s") % {"date": opens},
            drafts,
            admin_list("challenges", "challenge", program__id__exact=program.pk, status__exact=ChallengeStatus.DRAFT),
        )


@figures("attention")
def partners_left_without_members(program: Program, moment: Moment) -> Iterable[Figure]:
    count = partner_selectors.partners_without_members().count()
    if count:
        yield Figure(
            _("Partners nobody acts for: invite a first member"),
            count,
            admin_list("partners", "partner", memberships__isnull="True"),
        )


@figures("attention")
def mails_not_sent(program: Program, moment: Moment) -> Iterable[Figure]:
    """Mails the outbox gave up on (after its retries): someone was not told something."""
    if count := Notification.objects.filter(mail_state=MailState.FAILED).count():
        yield Figure(
            _("Mails that could not be sent: see why, then send them again"),
            count,
            admin_list("notifications", "notification", mail_state__exact=MailState.FAILED),
        )


@figures("attention")
def invitations_about_to_expire(program: Program, moment: Moment) -> Iterable[Figure]:
    expiring = {
        "accepted_at__isnull": "True",
        "expires_at__gt": moment.param(moment.now),
        "expires_at__lte": moment.param(moment.soon),
    }
    jury = challenge_selectors.pending_jury_invitations(program, valid_at=moment.now, expiring_by=moment.soon)
    if count := jury.count():
        url = admin_list("challenges", "juryinvitation", program__id__exact=program.pk, **expiring)
        yield Figure(_("Jury invitations expiring within three days"), count, url)
    partner = partner_selectors.pending_partner_invitations(valid_at=moment.now, expiring_by=moment.soon)
    if count := partner.count():
        yield Figure(
            _("Partner invitations expiring within three days"),
            count,
            admin_list("partners", "partnerinvitation", **expiring),
        )


@figures("attention")
def phases_out_of_order(program: Program, moment: Moment) -> Iterable[Figure]:
    """Phases that start before a phase numbered earlier: their order and their dates disagree."""
    out_of_order, latest_start = [], None
    for phase in program.phases.all():  # prefetched by order
        if latest_start is not None and phase.starts_at < latest_start:
            out_of_order.append(phase.pk)
        latest_start = max(latest_start or phase.starts_at, phase.starts_at)
    if out_of_order:
        yield Figure(
            _("Phases whose dates do not follow their order"),
            len(out_of_order),
            admin_list("challenges", "phase", program__id__exact=program.pk, id__in=id_list(out_of_order)),
        )


# --- The page ---------------------------------------------------------------------------------------------------
def next_deadline(program: Program, now: datetime) -> tuple[datetime, Any] | None:
    """The next phase boundary after `now`: the end of the open phase or the start of the next, whichever first."""
    boundaries = []
    for phase in program.phases.all():
        status = phase.status(now)
        if status == PhaseStatus.OPEN:
            boundaries.append((phase.ends_at, _("%(phase)s closes") % {"phase": phase.title}))
        elif status == PhaseStatus.UPCOMING:
            boundaries.append((phase.starts_at, _("%(phase)s opens") % {"phase": phase.title}))
    return min(boundaries, key=lambda boundary: boundary[0], default=None)


def dashboard_sections(program: Program, moment: Moment) -> list[dict[str, Any]]:
    collected: dict[str, list[Figure]] = {key: [] for key in SECTIONS}
    for section, source in SOURCES:
        collected[section].extend(source(program, moment))
    return [{"key": key, "title": SECTIONS[key], "figures": collected[key]} for key in SECTIONS]


def _refuse_unless_staff(request: HttpRequest) -> None:
    if not (request.user.is_authenticated and request.user.is_staff):
        record(action="access.refused", path=current().path)
        raise Http404


def dashboard_current(request: HttpRequest) -> HttpResponse:
    """The dashboard of the edition to put forward (the one running, else the latest, else the next)."""
    _refuse_unless_staff(request)
    program = challenge_selectors.programs_for_staff().current()
    if program is None:
        return render(request, "staff/dashboard.html", {"program": None, "programs": []})
    return redirect("staff:program", slug=program.slug)


def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    program = challenge_permissions.access_program_as_staff(request.user, slug)
    moment = Moment.at(timezone.now())
    partner_ids = challenge_selectors.program_partner_ids(program)
    context = {
        "program": program,
        "programs": challenge_selectors.programs_for_staff(),
        "next_deadline": next_deadline(program, moment.now),
        "phases_url": admin_list("challenges", "phase", program__id__exact=program.pk),
        "sections": dashboard_sections(program, moment),
        "program_partners": [
            {
                "partner": partner,
                "members": Figure(
                    partner.name, partner.member_count, admin_list("accounts", "user", partners__id__exact=partner.pk)
                ),
            }
            for partner in partner_selectors.partners_with_member_counts(partner_ids)
        ],
    }
    return render(request, "staff/dashboard.html", context)


app_name = "staff"
urlpatterns = [
    path("", dashboard_current, name="dashboard"),
    path("<slug:slug>/", dashboard, name="program"),
]
