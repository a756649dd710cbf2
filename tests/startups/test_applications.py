"""Applications to a call: drafts, submission, versions, withdrawal and staff's review, through the services; the
call's deadline exact to the second whatever the clock has done; no member's text silently lost."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from challenges import services as program_services
from challenges.models import PhaseKind
from datacity.audit.models import AuditEntry
from datacity.notifications.models import Notification
from startups import services
from startups.models import (
    Application,
    ApplicationStatus,
    EligibilityCondition,
    Question,
    QuestionKind,
)
from tests.factories import (
    ChallengeFactory,
    PhaseFactory,
    ProgramFactory,
    StartupMembershipFactory,
    UserFactory,
    open_call,
)

pytestmark = pytest.mark.django_db
CASABLANCA = ZoneInfo("Africa/Casablanca")


@pytest.fixture
def call():
    """An edition whose call for applications is open now, with a required question and a condition."""
    program = ProgramFactory.create()
    phase = open_call(program)
    challenge = ChallengeFactory.create(program=program)
    question = Question.objects.create(program=program, label="Your traction?", required=True)
    optional = Question.objects.create(program=program, label="Anything else?", kind=QuestionKind.LONG_TEXT)
    condition = EligibilityCondition.objects.create(program=program, statement="Registered in Morocco")
    return phase, challenge, question, optional, condition


@pytest.fixture
def founders():
    first = StartupMembershipFactory.create()
    second = StartupMembershipFactory.create(startup=first.startup)
    return first.startup, first.user, second.user


def complete(question, condition, **extra):
    return {
        "solution": "Sensors on every tram.",
        "data_use": "Ridership data.",
        "team": "Three engineers.",
        "stage": "prototype",
        "eligibility": {str(condition.pk): True},
        "answers": {question.pk: "1,000 users"},
        **extra,
    }


def test_a_draft_is_saved_incomplete_and_any_member_continues_it(call, founders):
    _phase, challenge, _question, _optional, _condition = call
    startup, first, second = founders

    draft = services.application_save(startup=startup, challenge=challenge, actor=first, data={"solution": "Idea"})
    continued = services.application_save(
        startup=startup, challenge=challenge, actor=second, data={"team": "Us"}, revision=draft.revision
    )

    assert continued.pk == draft.pk
    assert (continued.solution, continued.team, continued.status) == ("Idea", "Us", ApplicationStatus.DRAFT)
    assert continued.last_saved_by == second
    assert continued.revision == 2


def test_one_application_per_startup_and_challenge_several_challenges_allowed(call, founders):
    _phase, challenge, *_ = call
    startup, first, _second = founders
    services.application_save(startup=startup, challenge=challenge, actor=first, data={})
    other = ChallengeFactory.create(program=challenge.program)
    services.application_save(startup=startup, challenge=other, actor=first, data={})

    assert Application.objects.filter(startup=startup).count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(startup=startup, challenge=challenge)


def test_the_second_of_two_members_saving_the_same_draft_is_told_and_nothing_is_lost(call, founders):
    _phase, challenge, *_ = call
    startup, first, second = founders
    opened = services.application_save(startup=startup, challenge=challenge, actor=first, data={"solution": "v0"})
    both_loaded_at = opened.revision

    services.application_save(
        startup=startup, challenge=challenge, actor=first, data={"solution": "first's"}, revision=both_loaded_at
    )
    with pytest.raises(services.ApplicationRefused) as refused:
        services.application_save(
            startup=startup, challenge=challenge, actor=second, data={"solution": "second's"}, revision=both_loaded_at
        )
    assert refused.value.details["reason_code"] == "conflict"

    assert Application.objects.get().solution == "first's"
    assert AuditEntry.objects.filter(action="application.conflict").count() == 1


def test_submit_checks_everything_and_keeps_each_version(call, founders):
    _phase, challenge, question, _optional, condition = call
    startup, first, second = founders

    with pytest.raises(services.ApplicationInvalid) as refused:
        services.application_submit(startup=startup, challenge=challenge, actor=first, data={"solution": "Only this"})
    assert set(refused.value.errors) == {
        "data_use",
        "team",
        "stage",
        f"question-{question.pk}",
        f"eligibility-{condition.pk}",
    }
    assert not Application.objects.exists()  # a refused submission saves nothing (the page keeps what was typed)

    submitted = services.application_submit(
        startup=startup, challenge=challenge, actor=first, data=complete(question, condition)
    )
    assert submitted.status == ApplicationStatus.SUBMITTED
    assert {n.recipient for n in Notification.objects.filter(kind="application.submitted")} == {first, second}

    services.application_submit(
        startup=startup, challenge=challenge, actor=second, data={"solution": "Better sensors."}
    )
    versions = list(submitted.versions.values_list("number", "content__solution"))
    assert versions == [(1, "Sensors on every tram."), (2, "Better sensors.")]
    assert Notification.objects.filter(kind="application.submitted").count() == 4


def test_an_applicant_who_does_not_meet_a_condition_is_refused(call, founders):
    _phase, challenge, question, _optional, condition = call
    startup, first, _second = founders
    data = complete(question, condition, eligibility={str(condition.pk): False})

    with pytest.raises(services.ApplicationInvalid) as refused:
        services.application_submit(startup=startup, challenge=challenge, actor=first, data=data)

    assert list(refused.value.errors) == [f"eligibility-{condition.pk}"]


def test_someone_outside_the_startup_can_do_nothing(call, founders):
    _phase, challenge, *_ = call
    startup, _first, _second = founders
    with pytest.raises(services.ApplicationRefused):
        services.application_save(startup=startup, challenge=challenge, actor=UserFactory.create(), data={})
    assert not Application.objects.exists()
    assert AuditEntry.objects.filter(action="application.refused").exists()


STEPS = ["save", "submit", "edit", "withdraw"]


def prepare(step, startup, challenge, actor, question, condition, *, at):
    """An application made at `at`, ready for `step`, an action to try at a given moment: saving a draft, submitting
    it, submitting changes to a submitted application (editing), withdrawing."""
    application = services.application_save(startup=startup, challenge=challenge, actor=actor, data={}, now=at)
    if step == "edit":
        services.application_submit(
            startup=startup, challenge=challenge, actor=actor, data=complete(question, condition), now=at
        )

    def act(now):
        if step == "edit":
            return services.application_submit(
                startup=startup, challenge=challenge, actor=actor, data={"team": str(now)}, now=now
            )
        if step == "save":
            return services.application_save(
                startup=startup, challenge=challenge, actor=actor, data={"team": str(now)}, now=now
            )
        if step == "submit":
            return services.application_submit(
                startup=startup, challenge=challenge, actor=actor, data=complete(question, condition), now=now
            )
        return services.application_withdraw(application=application, actor=actor, now=now)

    return act


def assert_exact_deadline(act, ends_at):
    act(ends_at - timedelta(seconds=1))
    before = Application.objects.values().get()
    for late in (ends_at, ends_at + timedelta(seconds=1)):
        with pytest.raises(services.ApplicationRefused) as refused:
            act(late)
        assert refused.value.details["reason_code"] == "call_closed"
    assert Application.objects.values().get() == before  # nothing saved


@pytest.mark.parametrize("step", STEPS)
def test_the_deadline_is_exact_to_the_second(call, founders, step):
    phase, challenge, question, _optional, condition = call
    startup, first, _second = founders
    act = prepare(step, startup, challenge, first, question, condition, at=phase.ends_at - timedelta(days=1))
    assert_exact_deadline(act, phase.ends_at)


@pytest.mark.parametrize("step", STEPS)
def test_the_deadline_holds_across_a_casablanca_change_of_the_clocks(founders, step):
    """The call ends at 03:00 on 22 March 2026 in Casablanca, just after the clocks moved forward."""
    program = ProgramFactory.create(starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    ends_at = datetime(2026, 3, 22, 3, 0, tzinfo=CASABLANCA).astimezone(UTC)
    assert ends_at.hour == 2  # UTC+1 from then on
    PhaseFactory.create(
        program=program, kind=PhaseKind.CALL_FOR_APPLICATIONS, starts_at=ends_at - timedelta(days=30), ends_at=ends_at
    )
    challenge = ChallengeFactory.create(program=program)
    question = Question.objects.create(program=program, label="Your traction?", required=True)
    condition = EligibilityCondition.objects.create(program=program, statement="Registered in Morocco")
    startup, first, _second = founders
    # The last second before the change of the clocks' deadline is accepted, the deadline itself refused, and the
    # refusal gives the deadline in Casablanca's time as it was then.
    act = prepare(step, startup, challenge, first, question, condition, at=ends_at - timedelta(days=1))
    assert_exact_deadline(act, ends_at)
    with pytest.raises(services.ApplicationRefused, match="22 mars 2026 03:00"):
        act(ends_at)


def test_withdrawn_then_taken_up_again_as_a_draft(call, founders):
    _phase, challenge, question, _optional, condition = call
    startup, first, second = founders
    application = services.application_submit(
        startup=startup, challenge=challenge, actor=first, data=complete(question, condition)
    )
    withdrawn = services.application_withdraw(application=application, actor=second)
    assert withdrawn.status == ApplicationStatus.WITHDRAWN
    again = services.application_save(startup=startup, challenge=challenge, actor=first, data={})
    assert again.status == ApplicationStatus.DRAFT


def test_staff_review_follows_the_table_and_tells_the_startup(call, founders):
    _phase, challenge, question, _optional, condition = call
    startup, first, _second = founders
    staff = UserFactory.create(is_staff=True)
    application = services.application_submit(
        startup=startup, challenge=challenge, actor=first, data=complete(question, condition)
    )

    with pytest.raises(services.ApplicationRefused):
        services.application_set_status(application=application, status=ApplicationStatus.ELIGIBLE, actor=staff)
    services.application_set_status(application=application, status=ApplicationStatus.UNDER_REVIEW, actor=staff)
    with pytest.raises(services.ApplicationRefused):
        services.application_set_status(application=application, status=ApplicationStatus.INELIGIBLE, actor=staff)
    services.application_set_status(
        application=application, status=ApplicationStatus.INELIGIBLE, actor=staff, reason="Not registered in Morocco."
    )

    application.refresh_from_db()
    assert (application.status, application.ineligible_reason) == ("ineligible", "Not registered in Morocco.")
    assert Notification.objects.filter(kind="application.status", recipient=first).count() == 2
    assert AuditEntry.objects.filter(action="application.status_changed").count() == 2


def test_drafts_are_reminded_before_the_deadline_and_submitted_ones_are_not(call, founders):
    phase, challenge, question, _optional, condition = call
    startup, first, second = founders
    late = StartupMembershipFactory.create()
    services.application_save(startup=late.startup, challenge=challenge, actor=late.user, data={})
    services.application_save(startup=startup, challenge=challenge, actor=first, data={})
    services.application_submit(startup=startup, challenge=challenge, actor=first, data=complete(question, condition))

    program_services.phase_tick(now=phase.ends_at - timedelta(days=1))

    reminded = set(Notification.objects.filter(kind="reminder.application_draft").values_list("recipient", flat=True))
    assert reminded == {late.user.pk}
    # The call's close concerns every applicant, drafts included.
    program_services.phase_tick(now=phase.ends_at)
    closed = set(Notification.objects.filter(kind="phase.closed").values_list("recipient", flat=True))
    assert {first.pk, second.pk, late.user.pk} <= closed


def test_staff_extend_one_applications_deadline_for_a_reason_and_the_startup_is_told(call, founders):
    phase, challenge, question, _optional, condition = call
    startup, first, _second = founders
    other = StartupMembershipFactory.create()
    mine = services.application_save(startup=startup, challenge=challenge, actor=first, data={})
    theirs = services.application_save(startup=other.startup, challenge=challenge, actor=other.user, data={})
    staff = UserFactory.create(is_staff=True)
    late = phase.ends_at + timedelta(hours=1)

    with pytest.raises(services.ApplicationRefused):  # an extension ends after the call
        services.application_extend(application=mine, until=phase.ends_at, reason="Outage", actor=staff)
    with pytest.raises(services.ApplicationRefused):  # and says why
        services.application_extend(application=mine, until=late + timedelta(hours=1), reason=" ", actor=staff)
    services.application_extend(application=mine, until=late + timedelta(hours=1), reason="Outage", actor=staff)

    submitted = services.application_submit(
        startup=startup, challenge=challenge, actor=first, data=complete(question, condition), now=late
    )
    assert submitted.status == ApplicationStatus.SUBMITTED
    with pytest.raises(services.ApplicationRefused) as after:
        services.application_save(
            startup=startup, challenge=challenge, actor=first, data={}, now=late + timedelta(hours=1)
        )
    assert after.value.details["reason_code"] == "call_closed"
    with pytest.raises(services.ApplicationRefused) as others:  # the others keep the call's deadline
        services.application_withdraw(application=theirs, actor=other.user, now=late)
    assert others.value.details["reason_code"] == "call_closed"

    entry = AuditEntry.objects.get(action="application.extended")
    assert entry.details["reason"] == "Outage"
    notice = Notification.objects.get(kind="application.extended", recipient=first)
    assert notice.url == mine.get_absolute_url()
