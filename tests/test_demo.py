"""The demo editions (2017, and a current one open to applications): complete, idempotent, and their accounts
never usable where demo accounts are off."""

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.utils import timezone

from challenges.models import Challenge, ChallengeStatus, Phase, PhaseKind, PhaseStatus, Program
from datacity.demo import content
from datacity.notifications.models import Notification
from partners.models import Partner
from startups import notices
from startups.models import (
    Application,
    ApplicationStatus,
    ApplicationVersion,
    EligibilityCondition,
    Question,
    QuestionKind,
    Selection,
    Startup,
)
from startups.services import completeness_errors
from tests.utils import translated

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ("accounts", "account", "mfa", "auth", "partners", "challenges", "startups", "datasets")


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the demo touches, all columns included."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for app_label in DOMAIN_APPS:
        for model in apps.get_app_config(app_label).get_models(include_auto_created=True):
            rows[model._meta.db_table] = list(model._default_manager.order_by("pk").values_list())
    return rows


def test_load_demo_twice_leaves_the_same_rows():
    call_command("load_demo", stdout=None)
    first = snapshot()
    call_command("load_demo")
    assert snapshot() == first


def test_demo_edition_matches_the_record():
    call_command("load_demo")
    program = Program.objects.get(slug="datacity-casablanca-2017")
    assert program.is_published
    assert (program.ends_on.year * 12 + program.ends_on.month) - (
        program.starts_on.year * 12 + program.starts_on.month
    ) == 8
    assert Phase.objects.filter(program=program).count() == 7
    assert set(Partner.objects.values_list("name_fr", flat=True)) >= {
        "RATP Dev",
        "Casa Tram",
        "inwi",
        "Lydec",
        "Michelin",
        "LafargeHolcim",
        "Ville de Casablanca",
        "NUMA",
    }
    assert Selection.objects.filter(program=program).count() == 8
    kezakoo = Startup.objects.get(slug="kezakoo")
    assert "applicateurs du bâtiment" in translated(kezakoo, "pitch", "fr")
    assert Challenge.objects.published().filter(program=program).count() >= 4
    # Whatever the record does not say is marked as fictional.
    for startup in Startup.objects.exclude(slug="kezakoo"):
        assert "(fictive)" in startup.name
    for challenge in Challenge.objects.all():
        assert translated(challenge, "problem_statement", "fr").startswith("Démo")


def test_demo_accounts_log_in_where_enabled_and_never_where_disabled(settings):
    call_command("load_demo")
    email = content.DEMO_ACCOUNTS[0][0]
    assert authenticate(email=email, password=content.DEMO_PASSWORD) is not None

    settings.DEMO_ACCOUNTS_ENABLED = False
    assert authenticate(email=email, password=content.DEMO_PASSWORD) is None


def test_load_demo_creates_no_account_where_demo_accounts_are_disabled(settings):
    settings.DEMO_ACCOUNTS_ENABLED = False
    call_command("load_demo")
    assert not get_user_model().objects.exists()
    assert Program.objects.count() == 2
    # Without the demo founder there is nobody to apply: the current edition comes without applications.
    assert not Application.objects.exists()


def test_demo_pages_render(client):
    call_command("load_demo")
    for url in content.PUBLIC_PAGES:
        assert client.get(url).status_code == 200, url


def test_demo_staff_and_jury_come_enrolled_in_two_factor_and_can_work():
    from allauth.mfa.models import Authenticator

    call_command("load_demo")
    enrolled = set(Authenticator.objects.values_list("user__email", flat=True))
    assert enrolled == {"staff@demo.example.org", "jury@demo.example.org"}


# --- The current demo edition ----------------------------------------------------------------------------------
CASABLANCA = ZoneInfo(content.CURRENT_PROGRAM["time_zone"])


def current_edition() -> Program:
    return Program.objects.with_phases().get(slug=content.CURRENT_PROGRAM["slug"])


def demo_startup() -> Startup:
    return Startup.objects.get(slug=next(org for _e, _n, role, org in content.DEMO_ACCOUNTS if role == "startup"))


def application_rows() -> list[tuple[Any, ...]]:
    return list(
        Application.objects.order_by("pk").values_list("pk", "startup_id", "challenge_id", "status", "revision")
    )


def test_current_demo_edition_is_published_named_a_demo_and_takes_applications_today(client):
    call_command("load_demo")
    edition = current_edition()
    now = timezone.now()
    assert edition.is_published
    assert "Démo" in translated(edition, "name", "fr")
    assert "Demo" in translated(edition, "name", "en")
    assert "توضيحي" in translated(edition, "name", "ar")
    assert [phase.kind for phase in edition.phases.all()] == list(PhaseKind.values)
    state = edition.state(now)
    assert state.current_phase is not None
    assert state.call is not None
    assert state.current_phase.kind == PhaseKind.CALL_FOR_APPLICATIONS
    assert state.call_status == PhaseStatus.OPEN
    closes = timezone.localtime(state.call.ends_at, CASABLANCA)
    assert closes.date() == timezone.localtime(now, CASABLANCA).date() + timedelta(days=21)
    assert closes.time() == time(23, 59, 59)
    # It is the edition the home page puts forward; 2017 stays listed.
    assert Program.objects.published().current() == edition
    assert client.get("/").context["program"] == edition

    challenges = Challenge.objects.filter(program=edition)
    assert challenges.count() == 3
    assert set(challenges.values_list("status", flat=True)) == {ChallengeStatus.PUBLISHED}
    assert set(challenges.values_list("owner__slug", flat=True)) <= {slug for slug, *_ in content.PARTNERS}
    for challenge in challenges:
        for language in ("fr", "ar", "en"):
            assert translated(challenge, "problem_statement", language)


def test_current_demo_edition_has_its_application_form():
    call_command("load_demo")
    edition = current_edition()
    questions = Question.objects.filter(program=edition)
    assert set(questions.values_list("kind", flat=True)) == set(QuestionKind.values)
    assert questions.filter(challenge__isnull=False).count() == 1
    assert questions.filter(required=True).exists()
    # The demo uploads no file: a required file question would make its submitted application incomplete.
    assert not questions.filter(kind=QuestionKind.FILE, required=True).exists()
    for question in questions.filter(kind__in=[QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE]):
        counts = {len(translated(question, "choices", language).splitlines()) for language in ("fr", "ar", "en")}
        assert len(counts) == 1, question
        assert counts.pop() > 1
    assert EligibilityCondition.objects.filter(program=edition).count() >= 2


def test_demo_startup_holds_one_draft_and_one_submitted_application_in_the_current_edition():
    call_command("load_demo")
    edition = current_edition()
    founder = get_user_model().objects.get(email="startup@demo.example.org")
    applications = Application.objects.filter(startup=demo_startup())
    statuses = sorted(applications.values_list("status", flat=True))
    assert statuses == [ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED]
    assert set(applications.values_list("challenge__program", flat=True)) == {edition.pk}
    assert applications.values("challenge").distinct().count() == 2

    submitted = applications.get(status=ApplicationStatus.SUBMITTED)
    assert completeness_errors(submitted) == {}
    assert list(submitted.versions.values_list("number", "submitted_by")) == [(1, founder.pk)]
    assert submitted.answers.filter(question__challenge=submitted.challenge).exists()
    confirmation = Notification.objects.filter(kind=notices.APPLICATION_SUBMITTED.name, object_id=submitted.pk)
    assert list(confirmation.values_list("recipient", flat=True)) == [founder.pk]

    draft = applications.get(status=ApplicationStatus.DRAFT)
    assert completeness_errors(draft)  # left unfinished, for the founder to complete
    assert not draft.versions.exists()
    assert draft.last_saved_by == founder


def test_loading_the_demo_twice_keeps_the_current_edition_and_its_applications_once():
    def counts() -> dict[str, int]:
        return {
            "programs": Program.objects.count(),
            "phases": Phase.objects.count(),
            "challenges": Challenge.objects.count(),
            "questions": Question.objects.count(),
            "conditions": EligibilityCondition.objects.count(),
            "applications": Application.objects.count(),
            "versions": ApplicationVersion.objects.count(),
            "confirmations": Notification.objects.filter(kind=notices.APPLICATION_SUBMITTED.name).count(),
        }

    call_command("load_demo")
    first, rows = counts(), application_rows()
    call_command("load_demo")
    assert counts() == first
    assert application_rows() == rows
    # The demo founder's two applications (one submitted, with its version) and the fictive startups' five.
    assert (first["programs"], first["applications"], first["versions"]) == (2, 7, 1)


@pytest.mark.parametrize("days", [40, -40])
def test_loading_on_another_day_moves_the_current_edition_so_its_call_is_open_that_day(monkeypatch, days):
    call_command("load_demo")
    rows = application_rows()
    old_2017 = list(Phase.objects.filter(program__slug=content.PROGRAM["slug"]).values_list())

    later = timezone.now() + timedelta(days=days)
    monkeypatch.setattr(timezone, "now", lambda: later)
    call_command("load_demo")
    edition = current_edition()
    assert edition.state(later).call_status == PhaseStatus.OPEN
    assert edition.starts_on == timezone.localtime(later, CASABLANCA).date() + timedelta(days=-52)
    # The applications are left as they were; the 2017 edition does not move.
    assert application_rows() == rows
    assert list(Phase.objects.filter(program__slug=content.PROGRAM["slug"]).values_list()) == old_2017


def test_the_2017_edition_is_untouched_by_the_current_one():
    call_command("load_demo")
    edition = Program.objects.get(slug=content.PROGRAM["slug"])
    zone = ZoneInfo(content.PROGRAM["time_zone"])
    assert list(edition.phases.order_by("order").values_list("kind", "starts_at", "ends_at")) == [
        (kind, datetime(*start, tzinfo=zone), datetime(*end, tzinfo=zone)) for kind, start, end, _ in content.PHASES
    ]
    assert set(edition.challenges.values_list("slug", flat=True)) == {data["slug"] for data in content.CHALLENGES}
    assert set(Selection.objects.values_list("program", flat=True)) == {edition.pk}
    assert not Question.objects.filter(program=edition).exists()
    assert not EligibilityCondition.objects.filter(program=edition).exists()
    assert not Application.objects.filter(challenge__program=edition).exists()
