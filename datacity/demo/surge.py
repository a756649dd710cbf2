"""The deadline surge: startups save and submit their applications, with a file, in the last seconds before an
edition's call for applications closes, and a share of them just after; then the database is checked against what
the server answered. Run at full size by `manage.py bench_surge` (gunicorn) and at reduced size by the test suite
(pytest-django's live server).

The driver is plain threads, one per startup, each with its own `requests` session (requests is a development
dependency, as the benches are). Locust was not used: it monkey-patches the process with gevent, which fights pytest and
Django's database layer when the scenario runs inside the test process. Only loopback addresses are loaded, every
request has a timeout, and every thread stops by itself once its journey is done.

Each startup's owner gets a session made on the server's side (what `login()` stores), not a login through the
form: no password is hashed during the surge, and allauth's login limit ("login": 30 a minute per address, keyed on
REMOTE_ADDR) would otherwise throttle a surge coming from 127.0.0.1 as if it were one client.
"""

import hashlib
import random
import statistics
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from html.parser import HTMLParser
from importlib import import_module
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.storage import default_storage
from django.db import transaction
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from challenges.models import Challenge, ChallengeStatus, Phase, PhaseKind, Program
from datacity.core.models import MembershipRole
from partners.models import Partner
from startups.models import (
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Attachment,
    ProductStage,
    Question,
    QuestionKind,
    Startup,
    StartupMembership,
)

REQUEST_TIMEOUT = 90  # seconds, about what a browser waits; a hung server ends the run instead of holding it
SAVE, SUBMIT, OPEN, RELOAD = "save", "submit", "open", "reload"


# --- The edition and its applicants ------------------------------------------------------------------------------


@dataclass
class Applicant:
    """One startup of the surge: its owner's session, its draft, the file it attaches, and whether it is late."""

    index: int
    user_id: int
    startup_id: int
    application_id: int
    session_key: str
    late: bool
    payload: bytes
    file_name: str
    start_offset: float = 0.0  # seconds after the run starts when this startup opens its draft
    late_delay: float = 0.0  # seconds after the deadline when a late startup sends its submission

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()


@dataclass
class Scenario:
    run: str
    program_id: int
    challenge_id: int
    call_id: int
    partner_id: int
    question_id: int
    applicants: list[Applicant]


def pdf_bytes(marker: str, size: int) -> bytes:
    """A small valid PDF (its bytes prove the type the upload checks want), unique by `marker`, about `size` bytes
    long (padded with PDF comment lines)."""
    head = f"%PDF-1.4\n% {marker}\n1 0 obj<</Type/Catalog>>endobj\n".encode()
    tail = b"trailer<</Root 1 0 R>>\n%%EOF\n"
    padding = max(0, size - len(head) - len(tail))
    line = b"% " + b"x" * 76 + b"\n"
    return head + (line * (padding // len(line) + 1))[:padding] + tail


def prepare(
    *, startups: int, late_share: float, secret_key: str | None = None, seed: int = 2017, spread: float = 40.0
) -> Scenario:
    """An edition with a call for applications open now (its end is set by `run_surge`), one file question, and
    `startups` startups with an owner each, a draft and a session; `late_share` of them will submit after the
    deadline. Created in bulk; sessions are signed with `secret_key` when the server has a key of its own."""
    rng = random.Random(seed)  # noqa: S311 - a schedule to replay, not a secret
    run = uuid.uuid4().hex[:8]
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        partner = Partner.objects.create(name=f"Surge {run}", slug=f"surge-{run}", description="Bench partner.")
        program = Program.objects.create(
            name=f"Surge {run}",
            slug=f"surge-{run}",
            city="Casablanca",
            starts_on=today - timedelta(days=2),
            ends_on=today + timedelta(days=30),
            is_published=True,
        )
        call = Phase.objects.create(
            program=program,
            order=0,
            kind=PhaseKind.CALL_FOR_APPLICATIONS,
            title="Call for applications",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=1),
        )
        challenge = Challenge.objects.create(
            program=program,
            title=f"Surge {run}",
            slug=f"surge-{run}",
            problem_statement="Many applications in the last minute.",
            owner=partner,
            status=ChallengeStatus.PUBLISHED,
        )
        question = Question.objects.create(
            program=program, order=0, kind=QuestionKind.FILE, label="Pitch deck", required=True
        )
        unusable = make_password(None)  # computed once: no hashing per account
        users = get_user_model().objects.bulk_create(
            get_user_model()(email=f"surge-{run}-{n}@datacity.invalid", full_name=f"Owner {n}", password=unusable)
            for n in range(startups)
        )
        companies = Startup.objects.bulk_create(
            Startup(name=f"Surge {run} {n}", slug=f"surge-{run}-{n}", pitch="A startup of the surge.")
            for n in range(startups)
        )
        StartupMembership.objects.bulk_create(
            StartupMembership(startup=company, user=user, role=MembershipRole.OWNER)
            for company, user in zip(companies, users, strict=True)
        )
        drafts = Application.objects.bulk_create(
            Application(startup=company, challenge=challenge, status=ApplicationStatus.DRAFT, last_saved_by=user)
            for company, user in zip(companies, users, strict=True)
        )
    sessions = make_sessions(users, secret_key=secret_key)
    late = set(rng.sample(range(startups), round(startups * late_share)))
    applicants = []
    for n, (user, company, draft) in enumerate(zip(users, companies, drafts, strict=True)):
        size = rng.randint(2_000, 60_000)
        applicants.append(
            Applicant(
                index=n,
                user_id=user.pk,
                startup_id=company.pk,
                application_id=draft.pk,
                session_key=sessions[user.pk],
                late=n in late,
                payload=pdf_bytes(f"surge {run} startup {n}", size),
                file_name=f"deck-{n}.pdf",
                start_offset=rng.uniform(0, spread),
                late_delay=rng.uniform(0.2, 2.0),
            )
        )
    return Scenario(
        run=run,
        program_id=program.pk,
        challenge_id=challenge.pk,
        call_id=call.pk,
        partner_id=partner.pk,
        question_id=question.pk,
        applicants=applicants,
    )


def make_sessions(users: Iterable[Any], *, secret_key: str | None = None) -> dict[int, str]:
    """A logged-in session per user, as `django.contrib.auth.login` stores it (user, backend, auth hash), signed with
    `secret_key` when given (the server under test has its own); their keys by user id."""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    backend = settings.AUTHENTICATION_BACKENDS[0]
    keys: dict[int, str] = {}
    with override_settings(SECRET_KEY=secret_key or settings.SECRET_KEY):
        for user in users:
            store = store_class()
            store[SESSION_KEY] = user._meta.pk.value_to_string(user)
            store[BACKEND_SESSION_KEY] = backend
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            keys[user.pk] = str(store.session_key)
    return keys


def cleanup(scenario: Scenario) -> None:
    """Remove what `prepare` created, the sessions, and the files the surge stored (with their emptied folders on
    local disk); audit entries stay, as they always do."""
    applications = Application.objects.filter(challenge_id=scenario.challenge_id)
    for attachment in Attachment.objects.filter(application__in=applications):
        attachment.file.delete(save=False)
    for applicant in scenario.applicants:
        try:
            folder = Path(default_storage.path(f"applications/{applicant.application_id}"))
        except NotImplementedError:  # an object store has no folders
            break
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    for applicant in scenario.applicants:
        store_class(session_key=applicant.session_key).delete()
    user_ids = [applicant.user_id for applicant in scenario.applicants]
    with transaction.atomic():
        ApplicationVersion.objects.filter(application__in=applications).delete()
        Attachment.objects.filter(application__in=applications).delete()
        applications.delete()
        Startup.objects.filter(pk__in=[applicant.startup_id for applicant in scenario.applicants]).delete()
        Question.objects.filter(pk=scenario.question_id).delete()
        Challenge.objects.filter(pk=scenario.challenge_id).delete()
        Phase.objects.filter(program_id=scenario.program_id).delete()
        Program.objects.filter(pk=scenario.program_id).delete()
        Partner.objects.filter(pk=scenario.partner_id).delete()
        get_user_model().objects.filter(pk__in=user_ids).delete()


# --- The surge ---------------------------------------------------------------------------------------------------


@dataclass
class Step:
    applicant: int
    name: str
    status: int | None  # None: no answer (connection error, timeout)
    sent_at: float  # epoch seconds
    seconds: float
    error: str = ""
    location: str = ""
    body: str = ""  # kept for a refused submission only, to check its message

    @property
    def done_at(self) -> float:
        return self.sent_at + self.seconds


@dataclass
class Outcome:
    steps: list[Step] = field(default_factory=list)
    deadline: float = 0.0  # epoch seconds
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, step: Step) -> None:
        with self.lock:
            self.steps.append(step)

    def of(self, name: str) -> list[Step]:
        return [step for step in self.steps if step.name == name]


class FormFields(HTMLParser):
    """The inputs of a page, as a browser would send them: hidden values and the ticked boxes."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "input":
            return
        named = dict(attrs)
        kind, name = named.get("type") or "text", named.get("name")
        if not name or (kind in ("checkbox", "radio") and "checked" not in named) or kind in ("file", "submit"):
            return
        self.values.setdefault(name, []).append(named.get("value") or "")


def form_fields(html: str) -> dict[str, list[str]]:
    parser = FormFields()
    parser.feed(html)
    return parser.values


class Browser:
    """One startup owner's browser: its session cookie, and the Origin a browser sends with a form."""

    def __init__(self, base_url: str, session_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        # No domain: http.cookiejar would not match one without a dot ("localhost") to its host.
        self.http.cookies.set(settings.SESSION_COOKIE_NAME, session_key, path="/")
        self.http.headers["Origin"] = self.base_url
        self.http.headers["Referer"] = self.base_url + "/"

    def request(self, outcome: Outcome, applicant: int, name: str, method: str, path: str, **kwargs: Any) -> Step:
        sent, started = time.time(), time.perf_counter()
        try:
            response = self.http.request(
                method, self.base_url + path, allow_redirects=False, timeout=REQUEST_TIMEOUT, **kwargs
            )
            # Production marks cookies Secure; on loopback, plain HTTP stands in for the TLS proxy: send them anyway
            # (requests copies the jar into a fresh one per request, so a cookie policy would not last).
            for cookie in self.http.cookies:
                cookie.secure = False
        except requests.RequestException as error:
            step = Step(applicant, name, None, sent, time.perf_counter() - started, error=type(error).__name__)
        else:
            step = Step(
                applicant,
                name,
                response.status_code,
                sent,
                time.perf_counter() - started,
                location=response.headers.get("Location", ""),
                body=response.text if response.status_code in (200, 400) else "",
            )
        outcome.add(step)
        return step

    def close(self) -> None:
        self.http.close()


def form_data(scenario: Scenario, applicant: Applicant, fields: dict[str, list[str]], action: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrfmiddlewaretoken": (fields.get("csrfmiddlewaretoken") or [""])[0],
        "revision": (fields.get("revision") or ["0"])[0],
        "solution": f"Startup {applicant.index} proposes a sensor network for the challenge.",
        "data_use": "Traffic counts of the partners, two sites for a pilot.",
        "team": "Three engineers and a designer.",
        "stage": ProductStage.PROTOTYPE.value,
        "internal_notes": "",
        "action": action,
    }
    keep = f"keep_{scenario.question_id}"
    if fields.get(keep):
        data[keep] = fields[keep]
    return data


def journey(scenario: Scenario, applicant: Applicant, base_url: str, outcome: Outcome, started: float) -> None:
    """Open the draft, save it with its file, open it again (the kept file ticked) and submit it: before the
    deadline, or, for a late startup, a little after it (with one more file, which must not be stored)."""
    time.sleep(max(0.0, started + applicant.start_offset - time.time()))
    browser = Browser(base_url, applicant.session_key)
    with translation.override(settings.LANGUAGE_CODE):
        edit = reverse("startups:application_edit", kwargs={"pk": applicant.application_id})
    file_field = f"question_{scenario.question_id}"
    try:
        opened = browser.request(outcome, applicant.index, OPEN, "GET", edit)
        if opened.status != 200:
            return
        fields, opened.body = form_fields(opened.body), ""  # a page's text is kept only for a refusal's message
        files = {file_field: (applicant.file_name, applicant.payload, "application/pdf")}
        saved = browser.request(
            outcome, applicant.index, SAVE, "POST", edit, data=form_data(scenario, applicant, fields, SAVE), files=files
        )
        if saved.status != 302:
            return
        reloaded = browser.request(outcome, applicant.index, RELOAD, "GET", edit)
        if reloaded.status != 200:
            return
        fields, reloaded.body = form_fields(reloaded.body), ""
        files = {}
        if applicant.late:
            time.sleep(max(0.0, outcome.deadline + applicant.late_delay - time.time()))
            extra = pdf_bytes(f"late {scenario.run} {applicant.index}", 3_000)
            files = {file_field: (f"late-{applicant.index}.pdf", extra, "application/pdf")}
        browser.request(
            outcome,
            applicant.index,
            SUBMIT,
            "POST",
            edit,
            data=form_data(scenario, applicant, fields, SUBMIT),
            files=files or None,
        )
    finally:
        browser.close()


def run_surge(scenario: Scenario, base_url: str, *, closes_in: float) -> Outcome:
    """Close the call `closes_in` seconds from now and let every startup go; returns once every journey ended."""
    outcome = Outcome()
    started = time.time()
    closes_at = datetime.fromtimestamp(started + closes_in, tz=UTC)
    Phase.objects.filter(pk=scenario.call_id).update(ends_at=closes_at)
    outcome.deadline = closes_at.timestamp()
    threads = [
        threading.Thread(target=journey, args=(scenario, applicant, base_url, outcome, started), daemon=True)
        for applicant in scenario.applicants
    ]
    for thread in threads:
        thread.start()
    # Bounded: every request has a timeout, so four of them after the last start and the late delays are enough.
    limit = time.time() + closes_in + 4 * REQUEST_TIMEOUT + 10
    for thread in threads:
        thread.join(timeout=max(0.0, limit - time.time()))
    return outcome


# --- What the server answered, against what the database holds ---------------------------------------------------


@dataclass
class Verdict:
    startups: int
    late: int
    requests: int
    errors: list[str]  # 5xx, no answer, or any answer a step should not get
    accepted: set[int]  # application ids whose submission was answered as accepted
    refused_late: set[int]  # late startups refused after the deadline (at their submission, or earlier if slowed)
    in_flight_refused: set[int]  # on-time startups refused: their request reached the server after the deadline
    lost: list[str]  # accepted, but not in the database as submitted with its file
    late_accepted: list[str]
    mismatched: list[str]  # the database holds more, or other, than was accepted
    timings: dict[str, list[float]]
    seconds: float = 0.0  # from the first request sent to the last answer

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return not (self.errors or self.lost or self.late_accepted or self.mismatched)

    def percentile(self, step: str, share: float) -> float:
        values = sorted(self.timings.get(step) or [0.0])
        if len(values) == 1:
            return values[0]
        return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def refusal_message(scenario: Scenario, deadline: float) -> str:
    """The message the services give a submission after the deadline, in the default language, as a page shows it."""
    program = Program.objects.get(pk=scenario.program_id)
    closed = timezone.localtime(datetime.fromtimestamp(deadline, tz=UTC), program.time_zone)
    with translation.override(settings.LANGUAGE_CODE):
        message = _("The call for applications closed on %(date)s (%(zone)s time): nothing was saved.") % {
            "date": date_format(closed, "DATETIME_FORMAT"),
            "zone": program.time_zone,
        }
    return escape(message)


OK, CLOSED, ACCEPTED_LATE, ERROR = "ok", "closed", "accepted late", "error"


def classify(step: Step, applicant: Applicant, *, deadline: float, refusal: str) -> tuple[str, str]:
    """What one answer means, and why when it is wrong. A page opened after the deadline sends back to the
    application (302); a save or submission after it is refused with the services' message (400). A refusal
    received before the deadline, or a save or submission sent after it and accepted, is wrong, whatever else."""
    if step.status is None:
        return ERROR, f"no answer ({step.error})"
    if step.status >= 500:
        return ERROR, f"HTTP {step.status}"
    detail = f"/{applicant.application_id}/"
    if step.name in (OPEN, RELOAD):
        success = step.status == 200
        closed = step.status == 302 and step.location.endswith(detail)
    else:
        success = step.status == 302 and step.location.endswith(detail)
        closed = step.status == 400 and refusal in step.body
    if success:
        if step.name in (SAVE, SUBMIT) and step.sent_at >= deadline:
            return ACCEPTED_LATE, f"accepted, sent {step.sent_at - deadline:.2f} s after the deadline"
        return OK, ""
    if closed:
        if step.done_at < deadline:
            return ERROR, "refused as closed before the deadline"
        return CLOSED, ""
    return ERROR, f"HTTP {step.status}, neither accepted nor refused as closed"


def verify(scenario: Scenario, outcome: Outcome) -> Verdict:
    """Every answer classified (see `classify`), each startup's journey followed to its end (a submission accepted
    or a refusal after the deadline), then the database checked against the submissions accepted."""
    by_index = {applicant.index: applicant for applicant in scenario.applicants}
    errors: list[str] = []
    late_accepted: list[str] = []
    refusal = refusal_message(scenario, outcome.deadline)
    last: dict[int, tuple[Step, str]] = {}
    for step in sorted(outcome.steps, key=lambda each: each.sent_at):
        applicant = by_index[step.applicant]
        kind, why = classify(step, applicant, deadline=outcome.deadline, refusal=refusal)
        label = f"startup {step.applicant} {step.name}: {why}"
        if kind == ERROR:
            errors.append(label)
        elif kind == ACCEPTED_LATE:
            late_accepted.append(label)
        last[applicant.index] = (step, kind)
    accepted: set[int] = set()
    refused_late: set[int] = set()
    in_flight: set[int] = set()
    for applicant in scenario.applicants:
        found = last.get(applicant.index)
        if found is None or (found[1] == OK and found[0].name != SUBMIT):
            errors.append(f"startup {applicant.index}: its journey did not end (no submission, no refusal)")
            continue
        kind = found[1]
        if kind == OK:
            accepted.add(applicant.application_id)
        elif kind == CLOSED:
            (refused_late if applicant.late else in_flight).add(applicant.application_id)
    late_ids = {applicant.application_id for applicant in scenario.applicants if applicant.late}
    lost, mismatched = check_database(scenario, accepted=accepted)
    timings: dict[str, list[float]] = {}
    for step in outcome.steps:
        if step.status is not None:
            timings.setdefault(step.name, []).append(step.seconds)
    return Verdict(
        startups=len(scenario.applicants),
        late=len(late_ids),
        requests=len(outcome.steps),
        errors=errors,
        accepted=accepted,
        refused_late=refused_late,
        in_flight_refused=in_flight,
        lost=lost,
        late_accepted=late_accepted,
        mismatched=mismatched,
        timings=timings,
        seconds=(
            max(step.done_at for step in outcome.steps) - min(step.sent_at for step in outcome.steps)
            if outcome.steps
            else 0.0
        ),
    )


def stored_sha256(attachment: Attachment) -> str:
    digest = hashlib.sha256()
    with attachment.file.open("rb") as stored:
        for chunk in iter(lambda: stored.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_database(scenario: Scenario, *, accepted: set[int]) -> tuple[list[str], list[str]]:
    """Every accepted submission is submitted, with one version naming its file, stored with the right checksum
    (else lost); every other application is the draft its last save left, with only the saved file (else
    mismatched); and the challenge holds no other application."""
    by_application = {applicant.application_id: applicant for applicant in scenario.applicants}
    lost: list[str] = []
    mismatched: list[str] = []
    applications = Application.objects.filter(challenge_id=scenario.challenge_id)
    if set(applications.values_list("pk", flat=True)) != set(by_application):
        mismatched.append("the challenge holds other applications than the surge's drafts")
    submitted = set(applications.filter(status=ApplicationStatus.SUBMITTED).values_list("pk", flat=True))
    if extra := submitted - accepted:
        mismatched.append(f"submitted in the database but never answered as accepted: {sorted(extra)}")
    versions: dict[int, list[ApplicationVersion]] = {}
    for version in ApplicationVersion.objects.filter(application__in=applications):
        versions.setdefault(version.application_id, []).append(version)
    files: dict[int, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(application__in=applications):
        files.setdefault(attachment.application_id, []).append(attachment)
    for pk, applicant in by_application.items():
        sent = [attachment for attachment in files.get(pk, []) if attachment.sha256 == applicant.sha256]
        if pk in accepted:
            own = versions.get(pk, [])
            if pk not in submitted or len(own) != 1:
                lost.append(f"application {pk}: accepted, but {len(own)} versions and not submitted")
                continue
            named = own[0].content.get("files") or {}
            if not sent or str(sent[0].pk) not in named or named[str(sent[0].pk)]["sha256"] != applicant.sha256:
                lost.append(f"application {pk}: accepted, but its version does not name the file sent")
            elif stored_sha256(sent[0]) != applicant.sha256 or sent[0].size != len(applicant.payload):
                lost.append(f"application {pk}: the stored file differs from the one sent")
        else:
            if pk in submitted or versions.get(pk) or len(files.get(pk, [])) != (1 if sent else 0):
                mismatched.append(f"application {pk}: not accepted, but submitted, versioned or holding other files")
    return lost, mismatched


def summary(verdict: Verdict) -> list[tuple[str, float | int, str, str, bool | None]]:
    """The figures: (name, value, unit, target, ok); p50 and p95 are informative (no budget here)."""
    rows: list[tuple[str, float | int, str, str, bool | None]] = [
        ("startups", verdict.startups, "", "", None),
        ("late startups", verdict.late, "", "", None),
        ("requests", verdict.requests, "", "", None),
        ("requests served a second", round(verdict.requests_per_second, 1), "/s", "", None),
        ("errors (5xx, no answer, unexpected)", len(verdict.errors), "", "= 0", not verdict.errors),
        ("submissions accepted", len(verdict.accepted), "", "", None),
        ("submissions lost", len(verdict.lost), "", "= 0", not verdict.lost),
        ("late submissions accepted", len(verdict.late_accepted), "", "= 0", not verdict.late_accepted),
        (
            "late submissions refused",
            len(verdict.refused_late),
            "",
            f"= {verdict.late}",
            len(verdict.refused_late) == verdict.late,
        ),
        ("on-time startups served after the deadline, refused", len(verdict.in_flight_refused), "", "", None),
        ("database differs from answers", len(verdict.mismatched), "", "= 0", not verdict.mismatched),
    ]
    for step in (SAVE, SUBMIT):
        for share in (0.5, 0.95):
            value = verdict.percentile(step, share) * 1000
            rows.append((f"{step} p{round(share * 100)}", round(value, 1), "ms", "", None))
    return rows
