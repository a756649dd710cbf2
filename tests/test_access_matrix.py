"""The access matrix: every URL pattern of the project, requested by every kind of person, against a table.

The test walks the URL resolver, so a new page fails it until it declares here who may see it (and an unnamed
pattern fails it until it gets a name). Objects are chosen to prove isolation: a private page of startup B or partner
Y requested by anyone else must answer 404 ("does not exist"), never 403 ("exists, but not for you") nor 200.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from challenges.models import (
    ChallengeJuror,
    Criterion,
    DemoDay,
    JuryMembership,
    Milestone,
    PhaseStatus,
    PhaseTransition,
    Program,
    ReminderRun,
    Rubric,
)
from challenges.services import JURY_SPACE
from datacity.accounts.roles import JURY, PROGRAM_MANAGER
from datacity.core.models import MembershipRole
from datacity.core.organisations import invitation_create
from datacity.notifications import kinds, services
from datacity.notifications.models import CLOCK_HEARTBEAT, Heartbeat
from datasets.models import (
    AccessGrant,
    AccessRequest,
    AgreementAcceptance,
    DataUseAgreement,
    Distribution,
    DownloadLog,
)
from partners.models import ExperimentationSite, PartnerMembership
from partners.services import PARTNER_SPACE
from startups.models import (
    Answer,
    Application,
    ApplicationStatus,
    Attachment,
    ConflictDeclaration,
    Decision,
    Deliverable,
    DeliverableFile,
    DeliverableVersion,
    EligibilityCondition,
    FollowUpSurvey,
    Indicator,
    Partnership,
    Question,
    QuestionKind,
    Review,
    ReviewStatus,
    Score,
    SiteBooking,
    StartupMembership,
)
from startups.services import STARTUP_SPACE
from tests.factories import (
    ChallengeFactory,
    DatasetFactory,
    PartnerFactory,
    PhaseFactory,
    ProgramFactory,
    SelectionFactory,
    StartupFactory,
    ThemeFactory,
    UserFactory,
)

PASSWORD = "a-strong-test-password"  # UserFactory's
ROLES = ("anonymous", "startup_a", "startup_b", "partner_x", "partner_y", "jury", "staff", "superuser")


@dataclass(frozen=True)
class Redirect:
    """A redirect (302 unless said otherwise) to the URL named `to`; to a login page, `next` is the page asked for."""

    to: str
    kwargs: Callable[[SimpleNamespace], dict] | None = None
    status: int = 302
    next: bool = False

    def __str__(self) -> str:
        return f"{self.status}->{self.to}" + ("?next=<page>" if self.next else "")


LOGIN = Redirect("account_login", next=True)  # allauth's login, for pages that need a logged-in person
ADMIN_LOGIN = Redirect("admin:login", next=True)  # the admin's login, which sends on to allauth's (or answers 403)
TO_MY_SPACE = Redirect("my_space")  # allauth's pages for anonymous people only (login, signup), when logged in
TO_REAUTHENTICATE = Redirect("account_reauthenticate")
REAUTHENTICATE = Redirect("account_reauthenticate", next=True)  # allauth asks for the password again first

Expected = int | Redirect


@dataclass(frozen=True)
class Case:
    """One request: the URL's arguments, its query string, and the status expected for each role of ROLES."""

    statuses: tuple[Expected, ...]
    kwargs: Callable[[SimpleNamespace], dict] | None = None
    query: str = ""
    label: str = ""  # tells apart several cases of one URL name in failure messages
    url: Callable[[SimpleNamespace], str] | None = None  # for unnamed patterns, which cannot be reversed
    fresh: bool = False  # as someone who has just entered their password, rather than a session without a login
    shows_private: bool = False  # the page shows a private organisation's name to anyone, by design

    def __post_init__(self):
        assert len(self.statuses) == len(ROLES), f"{self.label or self.statuses}: one status per role of {ROLES}"

    def path(self, key: str, w) -> str:
        path = self.url(w) if self.url else reverse(key, kwargs=self.kwargs(w) if self.kwargs else None)
        return f"{path}?{self.query}" if self.query else path


def case(*statuses: Expected, **options) -> Case:
    return Case(statuses=statuses, **options)


# Rows that recur. Columns:  anonymous  startup A  startup B  partner X  partner Y  jury  staff  superuser
EVERYONE = (200, 200, 200, 200, 200, 200, 200, 200)
LOGGED_IN = (LOGIN, 200, 200, 200, 200, 200, 200, 200)
ANONYMOUS_ONLY = (200, TO_MY_SPACE, TO_MY_SPACE, TO_MY_SPACE, TO_MY_SPACE, TO_MY_SPACE, TO_MY_SPACE, TO_MY_SPACE)
NON_STAFF = (ADMIN_LOGIN,) * 6  # the admin sends everyone who is not staff to its login page...
STAFF_PAGE = (*NON_STAFF, 200, 200)


def startup_b(w):
    return {"slug": w.startup_b.slug}


def partner_y(w):
    return {"slug": w.partner_y.slug}


def application_a(w):
    return {"pk": w.application.pk}


def application_b(w):
    return {"pk": w.draft_b.pk}


TO_APPLICATION_A = Redirect("startups:application", kwargs=application_a)


def superuser_totp(w):
    return {"pk": w.superuser_totp.pk}


# --- The project's own pages and allauth's ----------------------------------------------------------------------
TABLE: dict[str, list[Case]] = {
    # Public pages of the program.
    "home": [case(*EVERYONE)],
    "my_space": [case(*LOGGED_IN)],
    "set_language": [case(*(Redirect("home"),) * 8)],  # a GET changes nothing and goes back to a safe page
    # For monitors: the same answer for everyone (200 here, the world's clock having just ticked), no page, no login.
    "health": [case(*EVERYONE)],
    "challenges:program_list": [case(*EVERYONE)],
    "challenges:program": [
        case(*EVERYONE, kwargs=lambda w: {"slug": w.program.slug}, label="published"),
        case(*(404,) * 8, kwargs=lambda w: {"slug": w.hidden_program.slug}, label="unpublished"),
    ],
    "challenges:list": [case(*EVERYONE)],
    "challenges:detail": [
        case(*EVERYONE, kwargs=lambda w: {"slug": w.challenge.slug}, label="published"),
        # A draft is previewed by the members of the partner that owns it (partner X) and by nobody else.
        case(404, 404, 404, 200, 404, 404, 404, 404, kwargs=lambda w: {"slug": w.draft_challenge.slug}, label="draft"),
    ],
    # Invitation links: whoever holds the link sees what it invites to; a wrong or used token is gone (410).
    "challenges:jury_invitation_accept": [
        case(*EVERYONE, kwargs=lambda w: {"token": w.tokens.jury}, label="valid token"),
        case(*(410,) * 8, kwargs=lambda w: {"token": "not-a-token"}, label="invalid token"),
    ],
    "partners:invitation_accept": [
        case(*EVERYONE, kwargs=lambda w: {"token": w.tokens.partner}, label="valid token", shows_private=True),
        case(*(410,) * 8, kwargs=lambda w: {"token": "not-a-token"}, label="invalid token"),
    ],
    "startups:invitation_accept": [
        case(*EVERYONE, kwargs=lambda w: {"token": w.tokens.startup}, label="valid token", shows_private=True),
        case(*(410,) * 8, kwargs=lambda w: {"token": "not-a-token"}, label="invalid token"),
    ],
    # Partners: X is public, Y is not; members pages are for members only, and someone else's answers 404.
    "partners:list": [case(*EVERYONE)],
    "partners:detail": [
        case(*EVERYONE, kwargs=lambda w: {"slug": w.partner_x.slug}, label="public partner X"),
        case(404, 404, 404, 404, 200, 404, 404, 404, kwargs=partner_y, label="private partner Y"),
    ],
    "partners:members": [
        case(LOGIN, 404, 404, 200, 404, 404, 404, 404, kwargs=lambda w: {"slug": w.partner_x.slug}, label="X"),
        case(LOGIN, 404, 404, 404, 200, 404, 404, 404, kwargs=partner_y, label="Y"),
    ],
    # A partner's public profile is edited by its owners only.
    "partners:edit": [
        case(LOGIN, 404, 404, 200, 404, 404, 404, 404, kwargs=lambda w: {"slug": w.partner_x.slug}, label="X"),
        case(LOGIN, 404, 404, 404, 200, 404, 404, 404, kwargs=partner_y, label="Y"),
    ],
    # The data catalogue: the list and its DCAT-AP export for everyone; a partner's members add and edit its datasets.
    "datasets:list": [case(*EVERYONE)],
    "datasets:catalog": [case(*EVERYONE)],
    "datasets:create": [
        case(LOGIN, 404, 404, 200, 404, 404, 404, 404, kwargs=lambda w: {"partner_slug": w.partner_x.slug}, label="X"),
        case(LOGIN, 404, 404, 404, 200, 404, 404, 404, kwargs=lambda w: {"partner_slug": w.partner_y.slug}, label="Y"),
    ],
    "datasets:edit": [
        case(LOGIN, 404, 404, 200, 404, 404, 404, 404, kwargs=lambda w: {"slug": w.open_dataset.slug}, label="X's"),
        case(
            LOGIN, 404, 404, 404, 200, 404, 404, 404, kwargs=lambda w: {"slug": w.restricted_dataset.slug}, label="Y's"
        ),
    ],
    # The data room: open files for everyone; a restricted dataset's files only under a grant in force and an
    # accepted agreement (Y's, private, is Y's alone here); requests and the download log are the partner's.
    "datasets:download": [
        case(*EVERYONE, kwargs=lambda w: {"slug": w.open_dataset.slug, "version": 1}, label="open"),
        case(
            404,
            404,
            404,
            404,
            200,
            404,
            404,
            404,
            kwargs=lambda w: {"slug": w.restricted_dataset.slug, "version": 1},
            label="restricted, of private Y",
        ),
    ],
    "datasets:upload": [
        case(LOGIN, 404, 404, 200, 404, 404, 404, 404, kwargs=lambda w: {"slug": w.open_dataset.slug}, label="X's"),
        case(
            LOGIN, 404, 404, 404, 200, 404, 404, 404, kwargs=lambda w: {"slug": w.restricted_dataset.slug}, label="Y's"
        ),
    ],
    "datasets:preview": [
        case(*EVERYONE, kwargs=lambda w: {"slug": w.open_dataset.slug, "version": 1}, label="open"),
        case(
            404,
            404,
            404,
            404,
            200,
            404,
            404,
            404,
            kwargs=lambda w: {"slug": w.restricted_dataset.slug, "version": 1},
            label="restricted, of private Y",
        ),
    ],
    "datasets:agreement": [
        case(*LOGGED_IN, kwargs=lambda w: {"slug": w.open_dataset.slug}, label="open"),
        case(
            LOGIN,
            404,
            404,
            404,
            200,
            404,
            404,
            404,
            kwargs=lambda w: {"slug": w.restricted_dataset.slug},
            label="restricted, of private Y",
        ),
    ],
    "datasets:agreement_publish": [
        case(LOGIN, 404, 404, 200, 404, 404, 404, 404, kwargs=lambda w: {"slug": w.open_dataset.slug}, label="X's"),
        case(
            LOGIN, 404, 404, 404, 200, 404, 404, 404, kwargs=lambda w: {"slug": w.restricted_dataset.slug}, label="Y's"
        ),
    ],
    "datasets:request_access": [
        case(LOGIN, *(404,) * 7, kwargs=lambda w: {"slug": w.open_dataset.slug}, label="open: nothing to ask"),
        case(LOGIN, *(404,) * 7, kwargs=lambda w: {"slug": w.restricted_dataset.slug}, label="of private Y"),
    ],
    "datasets:requests": [
        case(LOGIN, 404, 404, 200, 404, 404, 404, 404, kwargs=lambda w: {"partner": w.partner_x.slug}, label="X"),
        case(LOGIN, 404, 404, 404, 200, 404, 404, 404, kwargs=lambda w: {"partner": w.partner_y.slug}, label="Y"),
    ],
    "datasets:startup_access": [
        case(LOGIN, 200, 404, 404, 404, 404, 404, 404, kwargs=lambda w: {"slug": w.startup_a.slug}, label="A"),
        case(LOGIN, 404, 200, 404, 404, 404, 404, 404, kwargs=startup_b, label="B"),
    ],
    "datasets:downloads": [
        case(LOGIN, 404, 404, 200, 404, 404, 404, 404, kwargs=lambda w: {"partner": w.partner_x.slug}, label="X"),
        case(LOGIN, 404, 404, 404, 200, 404, 404, 404, kwargs=lambda w: {"partner": w.partner_y.slug}, label="Y"),
        case(
            LOGIN,
            404,
            404,
            200,
            404,
            404,
            404,
            404,
            kwargs=lambda w: {"partner": w.partner_x.slug},
            query="format=csv",
            label="X, CSV",
        ),
    ],
    # Datasets: an open one is for everyone, a restricted one for its owner's members only.
    "datasets:detail": [
        case(*EVERYONE, kwargs=lambda w: {"slug": w.open_dataset.slug}, label="open, of X"),
        case(404, 404, 404, 404, 200, 404, 404, 404, kwargs=lambda w: {"slug": w.restricted_dataset.slug}, label="Y's"),
    ],
    # The program dashboards: staff only, every edition, published or not; its entrance goes to the current one.
    # The jury's pages: for jury members of an edition only (others get 404, as they do for a review not theirs).
    "jury:assignments": [case(LOGIN, 404, 404, 404, 404, 200, 404, 404)],
    "jury:declarations": [case(LOGIN, 404, 404, 404, 404, 200, 404, 404)],
    "jury:review": [case(LOGIN, 404, 404, 404, 404, 200, 404, 404, kwargs=lambda w: {"pk": w.review.pk})],
    "jury:declare": [
        case(
            LOGIN,
            404,
            404,
            404,
            404,
            Redirect("jury:review", kwargs=lambda w: {"pk": w.review.pk}),
            404,
            404,
            kwargs=lambda w: {"pk": w.review.pk},
            label="already declared",
        )
    ],
    # Staff's selection pages: results, decisions (POST only) and minutes.
    "selection:results": [case(*(404,) * 6, 200, 200, kwargs=lambda w: {"slug": w.program.slug})],
    "selection:decide": [case(*(405,) * 8, kwargs=lambda w: {"slug": w.program.slug})],
    "selection:minutes": [
        case(*(404,) * 6, 200, 200, kwargs=lambda w: {"slug": w.program.slug}),
        case(*(404,) * 6, 200, 200, kwargs=lambda w: {"slug": w.program.slug}, query="format=csv", label="CSV"),
    ],
    # A selected startup's experiment: its members, its sponsoring partner's and staff.
    "experiments:agreement": [case(LOGIN, 200, 404, 200, 404, 404, 200, 200, kwargs=lambda w: {"pk": w.selection.pk})],
    "experiments:deliverables": [
        case(LOGIN, 200, 404, 200, 404, 404, 200, 200, kwargs=lambda w: {"pk": w.selection.pk})
    ],
    "experiments:deliverable_file": [
        case(
            LOGIN,
            200,
            404,
            200,
            404,
            404,
            200,
            200,
            kwargs=lambda w: {"pk": w.selection.pk, "file": w.deliverable_file.pk},
        )
    ],
    "experiments:indicators": [case(LOGIN, 200, 404, 200, 404, 404, 200, 200, kwargs=lambda w: {"pk": w.selection.pk})],
    "experiments:partnership": [
        case(LOGIN, 200, 404, 200, 404, 404, 200, 200, kwargs=lambda w: {"pk": w.selection.pk})
    ],
    "experiments:follow_up": [
        case(LOGIN, 200, 404, 200, 404, 404, 200, 200, kwargs=lambda w: {"pk": w.selection.pk, "months": 6})
    ],
    # The public outcome of an edition: its demo day and results once published (staff preview them before).
    "challenges:demo_day": [case(*EVERYONE, kwargs=lambda w: {"slug": w.program.slug})],
    "challenges:results": [
        case(*EVERYONE, kwargs=lambda w: {"slug": w.program.slug}, label="published"),
        case(*(404,) * 6, 200, 200, kwargs=lambda w: {"slug": w.hidden_program.slug}, label="unpublished"),
    ],
    "partnerships:list": [case(*EVERYONE)],
    "partnerships:funnel": [case(*(404,) * 6, 200, 200, kwargs=lambda w: {"slug": w.program.slug})],
    # Open data: the documented files, and the read-only API under the pages' own rules (an object out of reach is
    # a 404; the experiments are their parties' and staff's, and need a login: 403, an API has no login page).
    "opendata:index": [case(*EVERYONE)],
    "opendata:file": [
        case(*EVERYONE, kwargs=lambda w: {"name": "challenges", "extension": "csv"}, label="CSV"),
        case(*EVERYONE, kwargs=lambda w: {"name": "results", "extension": "json"}, label="JSON"),
        case(*(404,) * 8, kwargs=lambda w: {"name": "people", "extension": "csv"}, label="no such file"),
    ],
    "api:api-root": [case(*EVERYONE)],
    "api:schema": [case(*EVERYONE)],
    "api:edition-list": [case(*EVERYONE)],
    "api:edition-detail": [
        case(*EVERYONE, kwargs=lambda w: {"slug": w.program.slug}, label="published"),
        case(*(404,) * 8, kwargs=lambda w: {"slug": w.hidden_program.slug}, label="unpublished"),
    ],
    "api:partner-list": [case(*EVERYONE)],
    "api:partner-detail": [
        case(*EVERYONE, kwargs=lambda w: {"slug": w.partner_x.slug}, label="public partner X"),
        case(404, 404, 404, 404, 200, 404, 404, 404, kwargs=partner_y, label="private partner Y"),
    ],
    "api:challenge-list": [case(*EVERYONE)],
    "api:challenge-detail": [
        case(*EVERYONE, kwargs=lambda w: {"slug": w.challenge.slug}, label="published"),
        case(404, 404, 404, 200, 404, 404, 404, 404, kwargs=lambda w: {"slug": w.draft_challenge.slug}, label="draft"),
    ],
    "api:selection-list": [case(*EVERYONE)],
    "api:selection-detail": [case(*EVERYONE, kwargs=lambda w: {"pk": w.selection.pk})],
    "api:result-list": [case(*EVERYONE)],
    "api:result-detail": [case(*EVERYONE, kwargs=lambda w: {"pk": w.selection.pk})],
    "api:partnership-list": [case(*EVERYONE)],
    "api:dataset-list": [case(*EVERYONE)],
    "api:dataset-detail": [
        case(*EVERYONE, kwargs=lambda w: {"slug": w.open_dataset.slug}, label="X's"),
        case(404, 404, 404, 404, 200, 404, 404, 404, kwargs=lambda w: {"slug": w.restricted_dataset.slug}, label="Y's"),
    ],
    "api:experiment-list": [case(403, *(200,) * 7)],
    "api:experiment-detail": [case(403, 200, 404, 200, 404, 404, 200, 200, kwargs=lambda w: {"pk": w.selection.pk})],
    "staff:dashboard": [
        case(*(404,) * 6, *(Redirect("staff:program", kwargs=lambda w: {"slug": Program.objects.current().slug}),) * 2)
    ],
    "staff:program": [
        case(*(404,) * 6, 200, 200, kwargs=lambda w: {"slug": w.program.slug}, label="published"),
        case(*(404,) * 6, 200, 200, kwargs=lambda w: {"slug": w.hidden_program.slug}, label="unpublished"),
    ],
    # Startups: A is selected in a published edition (public), B is not (private to its members).
    "startups:list": [case(*EVERYONE)],
    "startups:create": [case(*LOGGED_IN)],
    "startups:detail": [
        case(*EVERYONE, kwargs=lambda w: {"slug": w.startup_a.slug}, label="public startup A"),
        case(404, 404, 200, 404, 404, 404, 404, 404, kwargs=startup_b, label="private startup B"),
    ],
    "startups:edit": [
        case(LOGIN, 200, 404, 404, 404, 404, 404, 404, kwargs=lambda w: {"slug": w.startup_a.slug}, label="A"),
        case(LOGIN, 404, 200, 404, 404, 404, 404, 404, kwargs=startup_b, label="B"),
    ],
    "startups:members": [
        case(LOGIN, 200, 404, 404, 404, 404, 404, 404, kwargs=lambda w: {"slug": w.startup_a.slug}, label="A"),
        case(LOGIN, 404, 200, 404, 404, 404, 404, 404, kwargs=startup_b, label="B"),
    ],
    # Applications: startup A has sent one to partner X's challenge (the call is closed now); startup B holds a
    # draft. Members read and act on their own; the owning partner and staff read what was sent; drafts and files
    # are nobody else's business. Applying when one's startup already has an application goes to it.
    "startups:apply": [
        case(
            LOGIN,
            TO_APPLICATION_A,
            *(Redirect("startups:application", kwargs=application_b),),
            *(200,) * 5,
            kwargs=lambda w: {"challenge": w.challenge.pk},
        )
    ],
    "startups:application": [
        case(LOGIN, 200, 404, 200, 404, 404, 200, 200, kwargs=application_a, label="A's, sent"),
        case(LOGIN, 404, 200, 404, 404, 404, 200, 200, kwargs=application_b, label="B's draft"),
    ],
    "startups:application_edit": [
        case(LOGIN, TO_APPLICATION_A, 404, 404, 404, 404, 404, 404, kwargs=application_a, label="A's, call closed"),
        case(
            LOGIN,
            404,
            Redirect("startups:application", kwargs=application_b),
            *(404,) * 5,
            kwargs=application_b,
            label="B's draft, call closed",
        ),
    ],
    "startups:application_withdraw": [
        case(LOGIN, 200, 404, 404, 404, 404, 404, 404, kwargs=application_a, label="A's"),
        case(LOGIN, 404, 200, 404, 404, 404, 404, 404, kwargs=application_b, label="B's"),
    ],
    # A's files: its members, the owning partner's, staff, and the juror who reviews it (declared free of conflict).
    "startups:attachment": [
        case(LOGIN, 200, 404, 200, 404, 200, 200, 200, kwargs=lambda w: attachment_kwargs(w.attachment), label="A's"),
        case(
            LOGIN,
            404,
            200,
            404,
            404,
            404,
            200,
            200,
            kwargs=lambda w: attachment_kwargs(w.draft_b_file),
            label="B's draft",
        ),
    ],
    "startups:applications": [
        case(LOGIN, 200, 404, 404, 404, 404, 404, 404, kwargs=lambda w: {"slug": w.startup_a.slug}, label="A"),
        case(LOGIN, 404, 200, 404, 404, 404, 404, 404, kwargs=startup_b, label="B"),
    ],
    # What was sent to partner X's challenges, for X's members.
    "partners:applications": [
        case(LOGIN, 404, 404, 200, 404, 404, 404, 404, kwargs=lambda w: {"slug": w.partner_x.slug}, label="X"),
        case(LOGIN, 404, 404, 404, 200, 404, 404, 404, kwargs=partner_y, label="Y"),
    ],
    # The CSV export of an edition's applications: staff who may read applications choose the edition (GET).
    "admin:startups_application_export": [case(*STAFF_PAGE)],
    # Experimentation sites: the map and its feed for everyone (public partners' sites); a partner's members manage
    # its sites and decide on their bookings; a selected startup's members request and follow theirs.
    "sites:list": [case(*EVERYONE)],
    "sites:geojson": [case(*EVERYONE)],
    "partners:sites": [
        case(LOGIN, 404, 404, 200, 404, 404, 404, 404, kwargs=lambda w: {"slug": w.partner_x.slug}, label="X"),
        case(LOGIN, 404, 404, 404, 200, 404, 404, 404, kwargs=partner_y, label="Y"),
    ],
    "partners:site_create": [
        case(LOGIN, 404, 404, 200, 404, 404, 404, 404, kwargs=lambda w: {"slug": w.partner_x.slug}, label="X"),
        case(LOGIN, 404, 404, 404, 200, 404, 404, 404, kwargs=partner_y, label="Y"),
    ],
    "partners:site_edit": [
        case(
            LOGIN,
            404,
            404,
            200,
            404,
            404,
            404,
            404,
            kwargs=lambda w: {"slug": w.partner_x.slug, "site": w.site_x.slug},
            label="X's",
        ),
        case(
            LOGIN,
            404,
            404,
            404,
            200,
            404,
            404,
            404,
            kwargs=lambda w: {"slug": w.partner_y.slug, "site": w.site_y.slug},
            label="Y's",
        ),
    ],
    "partners:site_photos": [
        case(
            LOGIN,
            404,
            404,
            200,
            404,
            404,
            404,
            404,
            kwargs=lambda w: {"slug": w.partner_x.slug, "site": w.site_x.slug},
            label="X's",
        ),
        case(
            LOGIN,
            404,
            404,
            404,
            200,
            404,
            404,
            404,
            kwargs=lambda w: {"slug": w.partner_y.slug, "site": w.site_y.slug},
            label="Y's",
        ),
    ],
    "partners:site_photo_remove": [
        case(LOGIN, *(405,) * 7, kwargs=lambda w: {"slug": w.partner_x.slug, "site": w.site_x.slug, "photo": 1}),
    ],
    "startups:bookings": [
        case(LOGIN, 200, 404, 404, 404, 404, 404, 404, kwargs=lambda w: {"slug": w.startup_a.slug}, label="A"),
        case(LOGIN, 404, 200, 404, 404, 404, 404, 404, kwargs=startup_b, label="B"),
    ],
    "startups:booking_request": [
        case(LOGIN, 200, 404, 404, 404, 404, 404, 404, kwargs=lambda w: {"slug": w.startup_a.slug}, label="A"),
        case(LOGIN, *(404,) * 7, kwargs=startup_b, label="B, not selected"),
    ],
    "startups:booking": [case(LOGIN, 200, 404, 200, 404, 404, 404, 404, kwargs=lambda w: {"pk": w.booking.pk})],
    "startups:booking_decide": [case(LOGIN, *(405,) * 7, kwargs=lambda w: {"pk": w.booking.pk})],
    "startups:booking_cancel": [case(LOGIN, *(405,) * 7, kwargs=lambda w: {"pk": w.booking.pk})],
    "startups:partner_bookings": [
        case(LOGIN, 404, 404, 200, 404, 404, 404, 404, kwargs=lambda w: {"partner": w.partner_x.slug}, label="X"),
        case(LOGIN, 404, 404, 404, 200, 404, 404, 404, kwargs=lambda w: {"partner": w.partner_y.slug}, label="Y"),
    ],
    # The notification centre and preferences: each person's own; someone else's notice is not found. Opening a
    # notice and marking all read are POSTs: a GET is refused (405), once the notice is known to be one's own.
    "notifications:centre": [case(*LOGGED_IN)],
    "notifications:preferences": [case(*LOGGED_IN)],
    "notifications:mark_all_read": [case(LOGIN, *(405,) * 7)],
    "notifications:open": [
        case(LOGIN, 404, 405, 404, 404, 404, 404, 404, kwargs=lambda w: {"pk": w.notice.pk}, label="B's notice")
    ],
    # allauth: accounts.
    "account_login": [case(*ANONYMOUS_ONLY)],
    "account_logout": [case(Redirect("home"), 200, 200, 200, 200, 200, 200, 200)],  # GET asks, POST logs out
    "account_inactive": [case(*EVERYONE)],
    "account_signup": [case(*ANONYMOUS_ONLY)],
    "account_reauthenticate": [case(*LOGGED_IN)],
    # Reauthenticating with a code sent by mail (allauth 65.22): no code is waiting, so confirming sends to asking.
    "account_request_reauthentication_code": [case(*LOGGED_IN)],
    "account_confirm_reauthentication_code": [case(LOGIN, *(Redirect("account_request_reauthentication_code"),) * 7)],
    "account_email": [case(*LOGGED_IN)],
    "account_email_verification_sent": [case(*EVERYONE)],
    "account_change_password": [case(*LOGGED_IN)],
    # Everybody here has a password already: setting one sends to changing it.
    "account_set_password": [case(LOGIN, *(Redirect("account_change_password"),) * 7)],
    "account_reset_password": [case(*EVERYONE)],
    "account_reset_password_done": [case(*EVERYONE)],
    "account_reset_password_from_key": [case(*EVERYONE, kwargs=lambda w: {"uidb36": "zz", "key": "not-a-key"})],
    "account_reset_password_from_key_done": [case(*EVERYONE)],
    # An unknown key: allauth shows its "expired or invalid link" page.
    "account_confirm_email": [case(*EVERYONE, kwargs=lambda w: {"key": "not-a-key"})],
    # No login is waiting for a code or a second factor: back to the login page, or on to My space.
    "account_confirm_login_code": [case(Redirect("account_login"), *(TO_MY_SPACE,) * 7)],
    "mfa_authenticate": [case(Redirect("account_login"), *(TO_MY_SPACE,) * 7)],
    # allauth: two-factor authentication. Jury, staff and superuser have enrolled (TOTP and recovery codes); the
    # others have not. Changing one's factors needs a recent login: the `stale` cases are a session without one (it
    # is sent to reauthenticate), the `fresh` ones a session that just entered its password.
    "mfa_index": [case(*LOGGED_IN)],
    "mfa_reauthenticate": [case(LOGIN, *(TO_REAUTHENTICATE,) * 4, 200, 200, 200)],
    "mfa_activate_totp": [
        case(LOGIN, *(REAUTHENTICATE,) * 7, label="stale"),
        case(LOGIN, 200, 200, 200, 200, *(Redirect("mfa_deactivate_totp"),) * 3, fresh=True, label="fresh"),
    ],
    "mfa_deactivate_totp": [
        case(LOGIN, 404, 404, 404, 404, *(REAUTHENTICATE,) * 3, label="stale"),
        case(LOGIN, 404, 404, 404, 404, 200, 200, 200, fresh=True, label="fresh"),
    ],
    "mfa_view_recovery_codes": [
        case(LOGIN, 404, 404, 404, 404, *(REAUTHENTICATE,) * 3, label="stale"),
        case(LOGIN, 404, 404, 404, 404, 200, 200, 200, fresh=True, label="fresh"),
    ],
    "mfa_generate_recovery_codes": [
        case(LOGIN, *(REAUTHENTICATE,) * 7, label="stale"),
        case(*LOGGED_IN, fresh=True, label="fresh"),
    ],
    "mfa_download_recovery_codes": [
        case(LOGIN, 404, 404, 404, 404, *(REAUTHENTICATE,) * 3, label="stale"),
        case(LOGIN, 404, 404, 404, 404, 200, 200, 200, fresh=True, label="fresh"),
    ],
    # allauth's template for this page loads `humanize`: it needs django.contrib.humanize in INSTALLED_APPS.
    "mfa_list_webauthn": [case(*LOGGED_IN)],
    "mfa_add_webauthn": [
        case(LOGIN, *(REAUTHENTICATE,) * 7, label="stale"),
        case(*LOGGED_IN, fresh=True, label="fresh"),
    ],
    "mfa_reauthenticate_webauthn": [case(LOGIN, *(TO_REAUTHENTICATE,) * 7)],  # nobody has a security key
    # Someone else's authenticator (and not even a security key): not found.
    "mfa_remove_webauthn": [
        case(LOGIN, *(REAUTHENTICATE,) * 7, kwargs=superuser_totp, label="stale"),
        case(LOGIN, *(404,) * 7, kwargs=superuser_totp, fresh=True, label="fresh"),
    ],
    "mfa_edit_webauthn": [
        case(LOGIN, *(REAUTHENTICATE,) * 7, kwargs=superuser_totp, label="stale"),
        case(LOGIN, *(404,) * 7, kwargs=superuser_totp, fresh=True, label="fresh"),
    ],
    # The admin site's own pages. Its login page sends anonymous people to allauth's and refuses other non-staff.
    "admin:index": [case(*STAFF_PAGE)],
    "admin:login": [
        case(
            Redirect("account_login", next=True),
            *(403,) * 5,
            Redirect("admin:index"),
            Redirect("admin:index"),
        )
    ],
    "admin:logout": [case(*(Redirect("admin:index"),) * 6, 405, 405)],  # only POST logs out
    "admin:password_change": [case(*STAFF_PAGE)],
    "admin:password_change_done": [case(*STAFF_PAGE)],
    "admin:jsi18n": [case(*STAFF_PAGE)],
    "admin:autocomplete": [
        case(*STAFF_PAGE, query="app_label=challenges&model_name=challenge&field_name=owner&term=", label="valid"),
        case(*NON_STAFF, 403, 403, label="no field"),
    ],
    "admin:view_on_site": [
        case(
            *NON_STAFF,
            *(Redirect("challenges:detail", kwargs=lambda w: {"slug": w.challenge.slug}),) * 2,
            kwargs=lambda w: {
                "content_type_id": ContentType.objects.get_for_model(w.challenge).pk,
                "object_id": w.challenge.pk,
            },
        )
    ],
    # Program managers see the apps they manage; auth (groups), allauth's e-mail addresses and authenticators are
    # for superusers: the admin answers 404 for an application page the person has no permission on.
    "admin:app_list": [
        case(*STAFF_PAGE, kwargs=lambda w: {"app_label": "partners"}, label="partners"),
        case(*NON_STAFF, 404, 200, kwargs=lambda w: {"app_label": "auth"}, label="auth"),
    ],
    # Setting someone's password from the admin, here the superuser's: a program manager holds change_user, but
    # must not be able to take over the superuser's (or anyone's) account; only superusers set passwords.
    "admin:auth_user_password_change": [case(*NON_STAFF, 403, 200, kwargs=lambda w: {"id": w.superuser.pk})],
}

# --- The admin's pages per model ----------------------------------------------------------------------------------
ADMIN_VIEWS = ("changelist", "add", "change", "delete", "history")
ALL = frozenset(ADMIN_VIEWS)
READ = frozenset({"changelist", "change", "history"})  # a read-only change page still answers 200
READ_DELETE = READ | {"delete"}

# Every model registered in the admin: which of its pages a program manager (staff) and a superuser may open; the
# other pages answer 403 to them. Non-staff are sent to the admin's login page.
ADMIN_MODELS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # model label: (program manager, superuser)
    "auth.group": (frozenset(), ALL),
    "account.emailaddress": (frozenset(), ALL),
    "mfa.authenticator": (frozenset(), ALL),
    # Technical tables (the scheduler's, the clock's record): superusers only, though program managers' group holds
    # permissions on the apps they manage.
    "django_celery_beat.periodictask": (frozenset(), ALL),
    "django_celery_beat.clockedschedule": (frozenset(), ALL),
    "django_celery_beat.crontabschedule": (frozenset(), ALL),
    "django_celery_beat.solarschedule": (frozenset(), ALL),
    "django_celery_beat.intervalschedule": (frozenset(), ALL),
    "accounts.user": (READ, ALL),
    "audit.auditentry": (READ, READ),  # the log is evidence: nobody writes it by hand
    "partners.partner": (ALL, ALL),
    "partners.experimentationsite": (ALL, ALL),
    "partners.partnerinvitation": (ALL, ALL),  # the change page is read-only: sent invitations are not edited
    "challenges.program": (ALL, ALL),
    "challenges.phase": (ALL, ALL),
    "challenges.phasetransition": (frozenset(), READ),  # what the clock recorded: nobody edits or deletes it
    "challenges.reminderrun": (frozenset(), READ_DELETE),  # deleting one lets the clock send that reminder again
    "notifications.notification": (READ, READ),  # what was sent to whom: read, and failed mails sent again
    "challenges.theme": (ALL, ALL),
    "challenges.challenge": (ALL, ALL),
    "challenges.juryinvitation": (ALL, ALL),
    "startups.startup": (ALL, ALL),
    "startups.selection": (ALL, ALL),
    "startups.startupinvitation": (READ_DELETE, READ_DELETE),  # startups invite their own people; staff look
    "startups.question": (ALL, ALL),  # one with answers is not deleted: its delete page says so (and answers 200)
    "startups.eligibilitycondition": (ALL, ALL),
    # Startups make their applications and nobody deletes them; staff read them and change their status only.
    "startups.application": (READ, READ),
    "datasets.dataset": (ALL, ALL),
    # The data room's records: what was asked, granted, accepted and downloaded is evidence, read-only for all.
    "datasets.accessrequest": (READ, READ),
    "datasets.accessgrant": (READ, READ),
    "datasets.datauseagreement": (READ, READ),
    "datasets.agreementacceptance": (READ, READ),
    "datasets.downloadlog": (READ, READ),
    # Experimentation: templates are published (never edited once used), the agreements and signatures are evidence,
    # deliverables are written on the experiment's pages; milestones and indicators are staff's to set.
    "challenges.agreementtemplate": (READ | {"add"}, READ | {"add"}),
    "startups.experimentagreement": (READ, READ),
    "startups.agreementsignature": (READ, READ),
    "challenges.milestone": (ALL, ALL),
    "startups.deliverable": (READ, READ),
    "startups.indicator": (ALL, ALL),
    "challenges.demoday": (ALL, ALL),
    "startups.partnership": (ALL, ALL),  # saved through its service, like on the experiment's page
    "startups.followupsurvey": (READ, READ),  # the startup's answers: evidence
    # Selection: the rubric is edited until its first score (then a new version); the register of conflicts and the
    # reviews are evidence, read-only; a decision is changed through its service, never added or deleted by hand.
    "challenges.rubric": (ALL, ALL),
    "startups.conflictdeclaration": (READ, READ),
    "startups.review": (READ, READ),
    "startups.decision": (READ, READ),
}

# Patterns without a name that Django's admin generates; any other unnamed pattern fails the test.
ADMIN_OBJECT_REDIRECT = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/<path:object_id>/$")
ADMIN_CATCH_ALL = "admin/(?P<url>.*)$"


def admin_cases(label: str) -> dict[str, list[Case]]:
    """The table's rows for one model's admin pages: generated, but from the explicit ADMIN_MODELS entry."""
    staff, superuser = ADMIN_MODELS[label]
    app_label, model_name = label.split(".")
    rows = {}
    for view in ADMIN_VIEWS:
        kwargs = None if view in {"changelist", "add"} else (lambda w, label=label: {"object_id": w.pk[label]})
        statuses = (*NON_STAFF, 200 if view in staff else 403, 200 if view in superuser else 403)
        rows[f"admin:{app_label}_{model_name}_{view}"] = [case(*statuses, kwargs=kwargs)]
    return rows


def unnamed_cases(route: str) -> list[Case] | None:
    """The cases of an unnamed pattern Django's admin generates, None for any other unnamed pattern."""
    if route == ADMIN_CATCH_ALL:
        return [case(*NON_STAFF, 404, 404, url=lambda w: "/admin/no-such-page/")]
    match = ADMIN_OBJECT_REDIRECT.match(route)
    if match is None or f"{match['app']}.{match['model']}" not in ADMIN_MODELS:
        return None
    app_label, model_name = match["app"], match["model"]
    label = f"{app_label}.{model_name}"
    # The bare object URL of the admin sends to the object's change page.
    to_change = Redirect(f"admin:{app_label}_{model_name}_change", kwargs=lambda w: {"object_id": w.pk[label]})
    return [case(*NON_STAFF, to_change, to_change, url=lambda w: f"/admin/{app_label}/{model_name}/{w.pk[label]}/")]


def full_table() -> dict[str, list[Case]]:
    table = dict(TABLE)
    for label in ADMIN_MODELS:
        rows = admin_cases(label)
        assert not set(rows) & set(table), f"{label}: its admin pages are listed twice"
        table |= rows
    return table


# --- The URL resolver -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pattern:
    name: str | None  # the full name, namespaces included ("startups:edit"); None for an unnamed pattern
    route: str
    view: str


def iter_patterns(resolver: URLResolver, route: str = "", namespaces: tuple[str, ...] = ()) -> Iterator[Pattern]:
    """Every URL pattern reachable from `resolver`, through includes, namespaces and i18n_patterns' language prefix
    (which is empty for the default language)."""
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from iter_patterns(pattern, route + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = ":".join((*namespaces, pattern.name)) if pattern.name else None
            yield Pattern(name=name, route=route + str(pattern.pattern), view=pattern.lookup_str)
        else:  # pragma: no cover - Django has no third kind
            raise TypeError(f"{route}: unknown URL pattern {pattern!r}")


def project_patterns() -> list[Pattern]:
    return list(iter_patterns(get_resolver()))


def plan() -> tuple[list[tuple[str, Case]], list[str]]:
    """Every (key, case) to request, and the problems found before requesting anything: names missing from the
    table, unnamed patterns nobody declared."""
    table = full_table()
    requests, problems = [], []
    seen = set()
    for pattern in project_patterns():
        if pattern.name is None:
            cases = unnamed_cases(pattern.route)
            if cases is None:
                problems.append(
                    f"unnamed URL pattern {pattern.route!r} ({pattern.view}): give it a name and add it to the table"
                )
                continue
            requests += [(f"<unnamed {pattern.route}>", one) for one in cases]
        elif pattern.name in seen:
            continue  # one name, several patterns: reverse() picks one, which the table covers
        elif pattern.name not in table:
            kind = "admin name matching no ADMIN_MODELS rule" if pattern.name.startswith("admin:") else "URL name"
            problems.append(
                f"{kind} {pattern.name!r} ({pattern.route}, {pattern.view}) is not in the access table: "
                "declare who may see it"
            )
        else:
            seen.add(pattern.name)
            requests += [(pattern.name, one) for one in table[pattern.name]]
    return requests, problems


# --- The world --------------------------------------------------------------------------------------------------
@pytest.fixture
def world(db, monkeypatch):
    """Two startups, two partners, a jury member, a program manager and a superuser, and an object for every model
    registered in the admin."""
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in (JURY, PROGRAM_MANAGER)}
    w = SimpleNamespace()
    w.superuser = UserFactory.create(is_staff=True, is_superuser=True)
    w.staff = UserFactory.create(is_staff=True)
    w.staff.groups.add(groups[PROGRAM_MANAGER])
    w.jury = UserFactory.create(totp=True)
    w.jury.groups.add(groups[JURY])

    # Distinctive names: the test looks for the private ones in every page answered to someone else.
    w.partner_x = PartnerFactory.create(name="Xenon Public Waterworks", is_public=True)
    w.partner_y = PartnerFactory.create(name="Yarrow Hidden Fund", is_public=False)
    w.program = ProgramFactory.create(is_published=True)
    w.hidden_program = ProgramFactory.create(is_published=False)
    phase = PhaseFactory.create(program=w.program, order=0)
    PhaseTransition.objects.create(phase=phase, sequence=1, status=PhaseStatus.OPEN, at=phase.starts_at)
    ReminderRun.objects.create(
        phase=phase, reminder="partners-challenges", offset="1d", deadline=phase.ends_at, due_at=phase.starts_at
    )
    w.challenge = ChallengeFactory.create(program=w.program, owner=w.partner_x, themes=[ThemeFactory.create()])
    w.draft_challenge = ChallengeFactory.create(program=w.program, owner=w.partner_x, status="draft")
    w.open_dataset = DatasetFactory.create(owner=w.partner_x, challenges=[w.challenge])
    w.restricted_dataset = DatasetFactory.create(owner=w.partner_y, access_level="restricted")
    w.startup_a = StartupFactory.create(name="Alpha Selected Mobility")
    w.startup_b = StartupFactory.create(name="Bravo Stealth Labs")
    # Startup A is selected, sponsored by partner X, its experimentation agreement signed by the three parties.
    w.selection = SelectionFactory.create(
        program=w.program, startup=w.startup_a, challenge=w.challenge, sponsor=w.partner_x
    )
    JuryMembership.objects.create(program=w.program, user=w.jury, role=MembershipRole.MEMBER)
    question = Question.objects.create(program=w.program, label="What data will you use?")
    EligibilityCondition.objects.create(program=w.program, statement="Registered in Morocco")
    application = Application.objects.create(
        startup=w.startup_a, challenge=w.challenge, status=ApplicationStatus.SUBMITTED, submitted_at=timezone.now()
    )
    Answer.objects.create(application=application, question=question, value="Traffic counts")
    deck = Question.objects.create(program=w.program, label="Pitch deck", kind=QuestionKind.FILE)
    w.application = application
    w.attachment = attach(application, deck)
    point = {"type": "Point", "coordinates": [-7.62, 33.59]}
    w.site_x = ExperimentationSite.objects.create(partner=w.partner_x, name="Tram T1", slug="tram-t1", geometry=point)
    w.site_y = ExperimentationSite.objects.create(partner=w.partner_y, name="Depot", slug="depot", geometry=point)
    w.booking = SiteBooking.objects.create(
        site=w.site_x,
        startup=w.startup_a,
        starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=2),
        purpose="Sensors on the platforms",
    )
    w.open_file, w.restricted_file = (
        store(
            Distribution(
                dataset=dataset,
                version=1,
                name="counts.csv",
                format="CSV",
                media_type="text/csv",
                size=4,
                sha256="0" * 64,
            ),
            b"a,b\n",
        )
        for dataset in (w.open_dataset, w.restricted_dataset)
    )
    w.draft_b = Application.objects.create(startup=w.startup_b, challenge=w.challenge)
    # Selection: the jury member reviews startup A's application (declared free of conflict), with a rubric of one
    # criterion, a decision pending, and a link declared by name in their register.
    rubric = Rubric.objects.create(program=w.program)
    criterion = Criterion.objects.create(rubric=rubric, name="Team", weight=1)
    ChallengeJuror.objects.create(challenge=w.challenge, user=w.jury)
    w.review = Review.objects.create(
        application=application, juror=w.jury, rubric=rubric, status=ReviewStatus.DRAFT, cleared_at=timezone.now()
    )
    Score.objects.create(review=w.review, criterion=criterion, value=3)
    Decision.objects.create(application=application)
    ConflictDeclaration.objects.create(juror=w.jury, organisation="Cousin Consulting", description="Family")
    # Its experiment: a milestone with a deliverable (one version, one file) and an indicator not yet measured.
    milestone = Milestone.objects.create(program=w.program, title="Kickoff", due_at=timezone.now() + timedelta(30))
    deliverable = Deliverable.objects.create(selection=w.selection, milestone=milestone)
    version = DeliverableVersion.objects.create(deliverable=deliverable, number=1, summary="Sensors installed")
    w.deliverable_file = DeliverableFile(version=version, name="plan.pdf", content_type="application/pdf", size=4)
    w.deliverable_file.sha256 = "0" * 64
    w.deliverable_file.file.save("plan.pdf", ContentFile(b"%PDF"), save=True)
    Indicator.objects.create(selection=w.selection, name="Leaks found", unit="leaks/week", baseline=4, target=12)
    # After it: the edition's published demo day and results, a partnership and the 6-month questionnaire.
    DemoDay.objects.create(
        program=w.program,
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=1),
        place="Technopark",
        is_published=True,
    )
    Program.objects.filter(pk=w.program.pk).update(results_published=True)
    Partnership.objects.create(startup=w.startup_a, partner=w.partner_x, selection=w.selection, stage="pilot")
    FollowUpSurvey.objects.create(selection=w.selection, months=6, due_on=timezone.localdate())
    w.draft_b_file = attach(w.draft_b, deck)

    w.users = {"anonymous": None, "jury": w.jury, "staff": w.staff, "superuser": w.superuser}
    for role, membership_model, organisation_field, organisation in (
        ("startup_a", StartupMembership, "startup", w.startup_a),
        ("startup_b", StartupMembership, "startup", w.startup_b),
        ("partner_x", PartnerMembership, "partner", w.partner_x),
        ("partner_y", PartnerMembership, "partner", w.partner_y),
    ):
        user = UserFactory.create(email=f"owner-{role.replace('_', '-')}@example.org")
        membership_model.objects.create(**{organisation_field: organisation}, user=user, role=MembershipRole.OWNER)
        w.users[role] = user
    for user in w.users.values():
        if user is not None:
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    w.superuser_totp = Authenticator.objects.get(user=w.superuser, type=Authenticator.Type.TOTP)
    access_request = AccessRequest.objects.create(
        dataset=w.restricted_dataset,
        startup=w.startup_a,
        requested_by=w.users["startup_a"],
        purpose="Leak detection",
        status="approved",
    )
    grant = AccessGrant.objects.create(
        dataset=w.restricted_dataset,
        startup=w.startup_a,
        request=access_request,
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=30),
    )
    agreement = DataUseAgreement.objects.create(dataset=w.restricted_dataset, version=1, text="Use it for the pilot.")
    AgreementAcceptance.objects.create(agreement=agreement, user=w.users["startup_a"], startup=w.startup_a)
    DownloadLog.objects.create(
        user=w.users["startup_a"], startup=w.startup_a, distribution=w.restricted_file, grant=grant, agreement=agreement
    )

    # Pending invitations, one per space, to someone who has no account yet (their creation audits, too).
    def invite(space, organisation, actor):
        return invitation_create(
            space=space, organisation=organisation, email=f"new-{space.name}@example.org", role="member", actor=actor
        )[1]

    w.tokens = SimpleNamespace(
        startup=invite(STARTUP_SPACE, w.startup_b, w.users["startup_b"]),
        partner=invite(PARTNER_SPACE, w.partner_y, w.users["partner_y"]),
        jury=invite(JURY_SPACE, w.program, w.staff),
    )

    # A notice in the centre of startup B's owner (of a kind declared for this test only).
    notice_kind = kinds.Kind("tests.access_matrix", "Test notices")
    monkeypatch.setitem(kinds.KINDS, notice_kind.name, notice_kind)
    owner_b = w.users["startup_b"]
    message = EmailMessage(subject="Your startup profile is complete", body="Well done.", to=[owner_b.email])
    services.notify_mail(kind=notice_kind, message=message, recipient=owner_b, key="access-matrix")
    w.notice = owner_b.notifications.get(key="access-matrix")

    # What only the admin shows: Celery beat's schedules.
    interval = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)
    CrontabSchedule.objects.create(minute="0", hour="4")
    SolarSchedule.objects.create(event="sunrise", latitude="33.57", longitude="-7.59")
    ClockedSchedule.objects.create(clocked_time=timezone.now() + timedelta(days=1))
    Heartbeat.objects.create(name=CLOCK_HEARTBEAT, last_run_at=timezone.now())  # /health/ answers 200
    PeriodicTask.objects.create(name="Tick", task="challenges.tasks.phase_tick", interval=interval)

    # One object per model registered in the admin, for its change, delete and history pages.
    w.pk = {}
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").first()
        assert first is not None, f"{model._meta.label_lower}: create one in the world fixture"
        w.pk[model._meta.label_lower] = first.pk
    w.private = private_texts(w)
    return w


def store(instance, content: bytes):
    """Save `instance` with a stored file of `content`."""
    instance.file.save("file", ContentFile(content), save=False)
    instance.save()
    return instance


def attach(application, question) -> Attachment:
    """A file the application's answer names."""
    attachment = Attachment(
        application=application, question=question, name="deck.pdf", content_type="application/pdf", size=5
    )
    attachment.file.save("deck.pdf", ContentFile(b"%PDF-"), save=False)
    attachment.save()
    Answer.objects.create(application=application, question=question, value=[attachment.pk])
    return attachment


def attachment_kwargs(attachment) -> dict:
    return {"pk": attachment.application_id, "attachment": attachment.pk}


def client_for(user, *, fresh: bool = False) -> Client:
    """A client logged in as `user`; `fresh`: who has just entered their password (allauth's reauthentication)."""
    # A server error becomes a 500 in the table's report rather than stopping the test at the first one.
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
        if fresh:
            response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
            assert response.status_code == 302, f"{user}: reauthentication failed ({response.status_code})"
    return client


def private_texts(w) -> dict[str, tuple[str, ...]]:
    """What only some roles may read: startup B and partner Y, and the address of their owners (as in members
    pages); staff and superusers see everything in the admin."""
    return {
        w.startup_b.name: ("startup_b", "staff", "superuser"),
        w.users["startup_b"].email: ("startup_b", "staff", "superuser"),
        w.partner_y.name: ("partner_y", "staff", "superuser"),
        w.users["partner_y"].email: ("partner_y", "staff", "superuser"),
    }


def leaks(w, role: str, response) -> list[tuple[str, tuple[str, ...]]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    content = body.decode(errors="replace")
    return [(text, allowed) for text, allowed in w.private.items() if role not in allowed and text in content]


def check(w, expected: Expected, requested: str, response) -> str | None:
    """None if the response is the expected one, else what it was."""
    got = str(response.status_code)
    if response.status_code in {301, 302}:
        got += f"->{response['Location']}"
    if isinstance(expected, int):
        return None if response.status_code == expected else got
    if response.status_code != expected.status:
        return got
    location = urlsplit(response["Location"])
    target = reverse(expected.to, kwargs=expected.kwargs(w) if expected.kwargs else None)
    if location.path != target:
        return got
    if expected.next and parse_qs(location.query).get("next") != [requested]:
        return got
    return None


# --- The tests --------------------------------------------------------------------------------------------------
def test_every_url_answers_every_role_as_the_access_table_says(world):
    requests, problems = plan()
    clients = {(role, fresh): client_for(world.users[role], fresh=fresh) for role in ROLES for fresh in (False, True)}
    for key, one in requests:
        requested = one.path(key, world)
        for role, expected in zip(ROLES, one.statuses, strict=True):
            response = clients[role, one.fresh].get(requested)
            where = f"{key} [{one.label}]" if one.label else key
            got = check(world, expected, requested, response)
            if got is not None:
                problems.append(f"{where} {requested} as {role}: expected {expected}, got {got}")
            if not one.shows_private:
                problems += [
                    f"{where} {requested} as {role}: shows {secret!r}, private to {', '.join(allowed)}"
                    for secret, allowed in leaks(world, role, response)
                ]
    assert not problems, f"{len(problems)} access matrix problem(s):\n" + "\n".join(problems)


def test_the_access_table_has_no_stale_entries():
    patterns = project_patterns()
    names = {pattern.name for pattern in patterns if pattern.name}
    stale = sorted(set(full_table()) - names)
    registered = {model._meta.label_lower for model in admin.site._registry}
    stale += [
        f"ADMIN_MODELS[{label!r}]: not registered in the admin" for label in sorted(set(ADMIN_MODELS) - registered)
    ]
    assert not stale, "the access table lists what the project no longer has:\n" + "\n".join(stale)
