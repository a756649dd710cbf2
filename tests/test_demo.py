"""The demo editions (2017, a current one open to applications, and a running one in its prototyping phase):
complete, idempotent, and their accounts never usable where demo accounts are off."""

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.utils import timezone

from challenges.models import (
    Challenge,
    ChallengeStatus,
    Milestone,
    MilestoneKind,
    Phase,
    PhaseKind,
    PhaseStatus,
    Program,
)
from datacity.demo import content
from datacity.notifications.models import Notification
from partners.models import Partner
from startups import agreements, notices
from startups.models import (
    AgreementParty,
    AgreementSignature,
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Decision,
    DecisionStage,
    Deliverable,
    DeliverableComment,
    DeliverableVersion,
    EligibilityCondition,
    ExperimentAgreement,
    Indicator,
    Measurement,
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
    assert Program.objects.count() == 3
    # Without the demo founder there is nobody to apply: the current and running editions come without applications,
    # and the running one without selection (its challenges and milestones are there).
    assert not Application.objects.exists()
    running = Program.objects.get(slug=content.PILOT_PROGRAM["slug"])
    assert not Selection.objects.filter(program=running).exists()
    assert Challenge.objects.filter(program=running).count() == len(content.PILOT_CHALLENGES)
    assert Milestone.objects.filter(program=running).count() == 3


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


def assert_published_demo_with_every_phase(edition: Program) -> None:
    assert edition.is_published
    assert "Démo" in translated(edition, "name", "fr")
    assert "Demo" in translated(edition, "name", "en")
    assert "توضيحي" in translated(edition, "name", "ar")
    assert [phase.kind for phase in edition.phases.all()] == list(PhaseKind.values)


def test_current_demo_edition_is_published_named_a_demo_and_takes_applications_today(client):
    call_command("load_demo")
    edition = current_edition()
    now = timezone.now()
    assert_published_demo_with_every_phase(edition)
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
    applications = Application.objects.filter(startup=demo_startup(), challenge__program=edition)
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
    # The demo founder's two applications in the current edition (one submitted, with its version), the fictive
    # startups' five, and the demo founder's submitted one in the running edition (with its version).
    assert (first["programs"], first["applications"], first["versions"]) == (3, 8, 2)


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
    # The applications are left as they were; the 2017 edition does not move; the running edition moves with the
    # day, still in its prototyping phase, its milestones with it.
    assert application_rows() == rows
    running = running_edition()
    phase = running.state(later).current_phase
    assert phase is not None
    assert phase.kind == PhaseKind.PROTOTYPING
    prototyping = running.phases.get(kind=PhaseKind.PROTOTYPING)
    for milestone in Milestone.objects.filter(program=running):
        assert prototyping.starts_at < milestone.due_at < prototyping.ends_at
    assert list(Phase.objects.filter(program__slug=content.PROGRAM["slug"]).values_list()) == old_2017


def test_the_2017_edition_is_untouched_by_the_current_one():
    call_command("load_demo")
    edition = Program.objects.get(slug=content.PROGRAM["slug"])
    zone = ZoneInfo(content.PROGRAM["time_zone"])
    assert list(edition.phases.order_by("order").values_list("kind", "starts_at", "ends_at")) == [
        (kind, datetime(*start, tzinfo=zone), datetime(*end, tzinfo=zone)) for kind, start, end, _ in content.PHASES
    ]
    assert set(edition.challenges.values_list("slug", flat=True)) == {data["slug"] for data in content.CHALLENGES}
    # Selections are the 2017 edition's and the running edition's: nobody is selected in the current one.
    running = Program.objects.get(slug=content.PILOT_PROGRAM["slug"])
    assert set(Selection.objects.values_list("program", flat=True)) == {edition.pk, running.pk}
    assert not Question.objects.filter(program=edition).exists()
    assert not EligibilityCondition.objects.filter(program=edition).exists()
    assert not Application.objects.filter(challenge__program=edition).exists()


# --- The running demo edition --------------------------------------------------------------------------------------


def running_edition() -> Program:
    return Program.objects.with_phases().get(slug=content.PILOT_PROGRAM["slug"])


def demo_user(role: str) -> Any:
    return get_user_model().objects.get(
        email=next(email for email, _n, kind, _o in content.DEMO_ACCOUNTS if kind == role)
    )


def running_selection() -> Selection:
    return Selection.objects.select_related("sponsor", "program").get(
        program__slug=content.PILOT_PROGRAM["slug"], startup=demo_startup()
    )


def test_running_demo_edition_is_published_named_a_demo_and_in_prototyping_today(client):
    call_command("load_demo")
    edition = running_edition()
    now = timezone.now()
    assert_published_demo_with_every_phase(edition)
    state = edition.state(now)
    assert state.current_phase is not None
    assert state.current_phase.kind == PhaseKind.PROTOTYPING
    assert state.call_status == PhaseStatus.CLOSED
    # The home page still puts forward the edition open to applications.
    assert Program.objects.published().current() == current_edition()

    challenges = Challenge.objects.filter(program=edition)
    assert challenges.count() == len(content.PILOT_CHALLENGES) >= 1
    assert set(challenges.values_list("status", flat=True)) == {ChallengeStatus.PUBLISHED}
    assert set(challenges.values_list("owner__slug", flat=True)) == {"lydec"}
    for challenge in challenges:
        for field in ("title", "summary", "problem_statement", "kpis"):
            for language in ("fr", "ar", "en"):
                assert translated(challenge, field, language), (challenge, field, language)
        assert translated(challenge, "problem_statement", "fr").startswith("Démo")
    assert client.get(f"/programs/{edition.slug}/").status_code == 200


def test_demo_startup_applied_and_was_selected_with_lydec_in_the_running_edition():
    call_command("load_demo")
    edition = running_edition()
    founder, staff = demo_user("startup"), demo_user("staff")
    application = Application.objects.get(startup=demo_startup(), challenge__program=edition)
    assert application.status == ApplicationStatus.SUBMITTED
    assert completeness_errors(application) == {}
    # Submitted by the founder, through the services, during the edition's call.
    call = edition.phases.get(kind=PhaseKind.CALL_FOR_APPLICATIONS)
    assert list(application.versions.values_list("number", "submitted_by")) == [(1, founder.pk)]
    assert application.submitted_at is not None
    assert call.starts_at <= application.submitted_at < call.ends_at

    selection = running_selection()
    assert selection.sponsor is not None
    assert selection.sponsor.slug == "lydec"
    assert selection.challenge_id == application.challenge_id
    decision = Decision.objects.get(application=application)
    assert decision.stage == DecisionStage.SELECTED
    assert decision.decided_by == staff
    assert decision.published_at is not None
    phase = edition.phases.get(kind=PhaseKind.SELECTION)
    assert phase.starts_at <= decision.published_at < phase.ends_at
    told = Notification.objects.filter(kind=notices.SELECTION_DECIDED.name, object_id=decision.pk)
    assert list(told.values_list("recipient", flat=True)) == [founder.pk]


def test_running_experiments_agreement_is_signed_by_the_three_parties():
    call_command("load_demo")
    selection = running_selection()
    agreement = agreements.agreement_for(selection)
    assert agreement is not None
    assert agreements.is_in_force(agreement)
    signers = dict(agreement.signatures.values_list("party", "user__email"))
    assert signers == {
        AgreementParty.CITY: demo_user("staff").email,
        AgreementParty.PARTNER: demo_user("partner").email,
        AgreementParty.STARTUP: demo_user("startup").email,
    }
    for field in ("text", "ip_clause"):
        for language in ("fr", "ar", "en"):
            assert translated(agreement.template, field, language)
    assert agreements.agreement_in_force(selection.startup_id, selection.program_id)


def test_running_experiment_has_dated_milestones_a_commented_deliverable_and_measured_indicators():
    call_command("load_demo")
    selection = running_selection()
    edition = selection.program
    prototyping = edition.phases.get(kind=PhaseKind.PROTOTYPING)
    milestones = Milestone.objects.filter(program=edition)
    assert set(milestones.values_list("kind", flat=True)) == {
        MilestoneKind.KICKOFF,
        MilestoneKind.MID_TERM,
        MilestoneKind.FINAL,
    }
    for milestone in milestones:
        assert prototyping.starts_at < milestone.due_at < prototyping.ends_at
        for language in ("fr", "ar", "en"):
            assert translated(milestone, "title", language)
    # The call edition has no experiment, so no milestone.
    assert not Milestone.objects.filter(program__slug=content.CURRENT_PROGRAM["slug"]).exists()

    deliverable = Deliverable.objects.get(selection=selection, milestone__kind=MilestoneKind.KICKOFF)
    assert list(deliverable.versions.values_list("submitted_by", flat=True)) == [demo_user("startup").pk]
    comments = DeliverableComment.objects.filter(deliverable=deliverable)
    assert list(comments.values_list("author", flat=True)) == [demo_user("partner").pk]

    indicators = Indicator.objects.filter(selection=selection)
    assert indicators.count() >= 1
    today = timezone.localdate(timezone=edition.time_zone)
    for indicator in indicators:
        dates = list(indicator.measurements.order_by("measured_on").values_list("measured_on", flat=True))
        assert len(dates) >= 2
        assert dates[-1] > today - timedelta(days=7)
        assert all(edition.starts_on <= day <= today for day in dates)
    # The KPI protocol is the running experiment's alone.
    assert not Indicator.objects.exclude(selection=selection).exists()


@pytest.mark.parametrize("role", ["startup", "partner"])
def test_my_space_lists_the_running_experiment(client, role):
    call_command("load_demo")
    selection = running_selection()
    client.force_login(demo_user(role))
    response = client.get("/me/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="/experiments/{selection.pk}/deliverables/"' in page
    assert f'href="/experiments/{selection.pk}/indicators/"' in page
    for page_name in ("agreement", "deliverables", "indicators"):
        assert client.get(f"/experiments/{selection.pk}/{page_name}/").status_code == 200


def test_loading_the_demo_twice_adds_nothing_to_the_running_edition():
    def counts() -> dict[str, int]:
        models = (
            Program,
            Phase,
            Challenge,
            Application,
            ApplicationVersion,
            Decision,
            Selection,
            ExperimentAgreement,
            AgreementSignature,
            Milestone,
            Deliverable,
            DeliverableVersion,
            DeliverableComment,
            Indicator,
            Measurement,
            Notification,
        )
        return {model.__name__: model._default_manager.count() for model in models}

    call_command("load_demo")
    first = counts()
    call_command("load_demo")
    assert counts() == first
    # What the running edition brings: its application and decision, its selection, an agreement signed three times.
    assert first["Decision"] == 1
    assert first["Selection"] == len(content.STARTUPS) + 1
    assert Milestone.objects.filter(program__slug=content.PILOT_PROGRAM["slug"]).count() == 3
