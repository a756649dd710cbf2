"""Staff review applications in the admin: the status moves through the service (audited, refusals shown, never a
500), questions that have answers are kept, the list stays cheap.

The admin speaks the default language (French): assertions read statuses, levels and audit entries, not sentences.
"""

from datetime import timedelta

import pytest
from django.contrib import messages
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from challenges.models import PhaseKind
from datacity.accounts.roles import PROGRAM_MANAGER
from datacity.audit.models import AuditEntry
from startups.models import (
    STAFF_TRANSITIONS,
    Answer,
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Attachment,
    EligibilityCondition,
    Question,
    QuestionKind,
)
from tests.admin_forms import admin_change_data
from tests.factories import ChallengeFactory, PhaseFactory, ProgramFactory, StartupFactory, UserFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    """A program manager: staff, in the group whose permissions migrations keep in step."""
    user = UserFactory.create(is_staff=True)
    user.groups.add(Group.objects.get(name=PROGRAM_MANAGER))
    client.force_login(user)
    return user


def application(status: str = ApplicationStatus.SUBMITTED, **kwargs) -> Application:
    challenge = kwargs.pop("challenge", None) or ChallengeFactory.create()
    return Application.objects.create(
        startup=kwargs.pop("startup", None) or StartupFactory.create(),
        challenge=challenge,
        status=status,
        submitted_at=timezone.now(),
        solution=kwargs.pop("solution", "Sensors on every bus stop."),
        **kwargs,
    )


def answered(app: Application) -> Question:
    question = Question.objects.create(program=app.challenge.program, label="Which data will you use?")
    Answer.objects.create(application=app, question=question, value="Traffic counts")
    return question


def change_url(app: Application) -> str:
    return reverse("admin:startups_application_change", args=[app.pk])


def post_change(client, app: Application, **changes):
    data = admin_change_data(client.get(change_url(app))) | changes
    return client.post(change_url(app), data, follow=True)


def levels(response) -> list[int]:
    return [message.level for message in response.context["messages"]]


def test_staff_move_a_submitted_application_under_review_through_the_change_form(client, manager):
    app = application()
    answered(app)

    response = post_change(client, app, status=ApplicationStatus.UNDER_REVIEW)

    assert response.status_code == 200
    assert messages.ERROR not in levels(response)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.UNDER_REVIEW
    entry = AuditEntry.objects.get(action="application.status_changed")
    assert entry.actor == manager
    assert entry.details["changes"]["status"] == {"from": "submitted", "to": "under_review"}


def test_the_change_page_offers_only_the_statuses_the_table_allows_and_shows_the_rest_read_only(client, manager):
    app = application()
    answered(app)

    form = client.get(change_url(app)).context["adminform"].form

    assert set(form.fields) == {"status"}  # the reason waits for a status that may become ineligible
    assert {value for value, _label in form.fields["status"].choices} == {"submitted", "under_review"}


def test_ineligible_without_a_reason_shows_an_error_and_changes_nothing(client, manager):
    app = application(status=ApplicationStatus.UNDER_REVIEW)

    response = post_change(client, app, status=ApplicationStatus.INELIGIBLE, ineligible_reason="  ")

    assert response.status_code == 200
    assert messages.ERROR in levels(response)
    assert response.redirect_chain[-1][0] == change_url(app)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.UNDER_REVIEW
    assert not AuditEntry.objects.filter(action="application.status_changed").exists()


def test_ineligible_with_a_reason_is_recorded_with_it(client, manager):
    app = application(status=ApplicationStatus.UNDER_REVIEW)

    post_change(client, app, status=ApplicationStatus.INELIGIBLE, ineligible_reason="Not registered in Morocco.")

    app.refresh_from_db()
    assert (app.status, app.ineligible_reason) == (ApplicationStatus.INELIGIBLE, "Not registered in Morocco.")


def test_an_illegal_transition_by_action_shows_a_message_and_changes_nothing(client, manager):
    app = application()  # submitted: eligible only after a review

    response = client.post(
        reverse("admin:startups_application_changelist"),
        {"action": "mark_eligible", "index": "0", "_selected_action": [app.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert messages.ERROR in levels(response)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED
    assert not AuditEntry.objects.filter(action="application.status_changed").exists()
    assert AuditEntry.objects.filter(action="application.status_refused", object_id=str(app.pk)).exists()


def test_marking_under_review_by_action_goes_through_the_service(client, manager):
    apps = [application() for _ in range(2)]

    client.post(
        reverse("admin:startups_application_changelist"),
        {"action": "mark_under_review", "index": "0", "_selected_action": [app.pk for app in apps]},
    )

    assert set(Application.objects.values_list("status", flat=True)) == {ApplicationStatus.UNDER_REVIEW}
    assert AuditEntry.objects.filter(action="application.status_changed").count() == 2


def test_applications_are_neither_added_nor_deleted_in_the_admin(client, manager):
    app = application()

    assert client.get(reverse("admin:startups_application_add")).status_code == 403
    assert client.post(reverse("admin:startups_application_delete", args=[app.pk]), {"post": "yes"}).status_code == 403
    assert Application.objects.filter(pk=app.pk).exists()


def test_deleting_a_question_that_has_answers_answers_200_and_keeps_it(client, manager):
    question = answered(application())
    url = reverse("admin:startups_question_delete", args=[question.pk])

    page = client.get(url)
    posted = client.post(url, {"post": "yes"})

    assert page.status_code == posted.status_code == 200
    assert page.context["protected"]  # Django's "cannot delete: these related objects are protected" page
    assert Question.objects.filter(pk=question.pk).exists()


def test_a_question_without_answers_is_deleted_on_record(client, manager):
    question = Question.objects.create(program=ProgramFactory.create(), label="Unused")

    client.post(reverse("admin:startups_question_delete", args=[question.pk]), {"post": "yes"})

    assert not Question.objects.filter(pk=question.pk).exists()


def test_application_changelist_query_count_is_constant(client, manager):
    program = ProgramFactory.create()

    def grow(n):
        while Application.objects.count() < n:
            application(challenge=ChallengeFactory.create(program=program))

    assert_constant_queries(client, reverse("admin:startups_application_changelist"), grow, at_most=12)


# --- Reading and filtering applications ---------------------------------------------------------------------------


def changelist_pks(client, **params) -> set[int]:
    response = client.get(reverse("admin:startups_application_changelist"), params)
    assert response.status_code == 200
    return {app.pk for app in response.context["cl"].result_list}


def test_staff_filter_applications_by_edition_challenge_and_status(client, manager):
    program = ProgramFactory.create()
    first, second = ChallengeFactory.create(program=program), ChallengeFactory.create(program=program)
    submitted = application(challenge=first)
    reviewed = application(ApplicationStatus.UNDER_REVIEW, challenge=second)
    elsewhere = application()

    assert changelist_pks(client) == {submitted.pk, reviewed.pk, elsewhere.pk}
    assert changelist_pks(client, challenge__program__id__exact=program.pk) == {submitted.pk, reviewed.pk}
    assert changelist_pks(client, challenge__id__exact=second.pk) == {reviewed.pk}
    assert changelist_pks(client, status__exact=ApplicationStatus.SUBMITTED) == {submitted.pk, elsewhere.pk}


def test_the_eligibility_filter_is_answered_by_the_database(client, manager):
    program = ProgramFactory.create()
    challenge = ChallengeFactory.create(program=program)
    registered = EligibilityCondition.objects.create(program=program, statement="Registered in Morocco")
    young = EligibilityCondition.objects.create(program=program, statement="Less than 5 years old")
    meets = application(challenge=challenge, eligibility={str(registered.pk): True, str(young.pk): True})
    half = application(challenge=challenge, eligibility={str(registered.pk): True, str(young.pk): False})
    silent = application(challenge=challenge)
    no_conditions = application()  # its edition asks for nothing: it meets every condition

    assert changelist_pks(client, conditions="met") == {meets.pk, no_conditions.pk}
    assert changelist_pks(client, conditions="unmet") == {half.pk, silent.pk}
    changelist = client.get(reverse("admin:startups_application_changelist"), {"conditions": "met"}).context["cl"]
    where = str(changelist.queryset.query).split(" WHERE ", 1)[1]
    assert "startups_eligibilitycondition" in where  # the rows are chosen by SQL, not by a loop over them
    assert "@>" in where


def test_the_filtered_changelist_query_count_is_constant(client, manager):
    program = ProgramFactory.create()
    challenge = ChallengeFactory.create(program=program)
    condition = EligibilityCondition.objects.create(program=program, statement="Registered in Morocco")

    def grow(n):
        while Application.objects.count() < n:
            app = application(challenge=challenge, eligibility={str(condition.pk): True})
            answered(app)

    url = reverse("admin:startups_application_changelist")
    query = f"?conditions=met&challenge__program__id__exact={program.pk}&q=Sensors"
    response = assert_constant_queries(client, url + query, grow, at_most=12)
    assert len(response.context["cl"].result_list) == 50


def test_staff_search_by_startup_challenge_and_solution(client, manager):
    by_name = application(startup=StartupFactory.create(name="AquaSense"))
    by_solution = application(solution="Leak detection with acoustic sensors")
    by_challenge = application(challenge=ChallengeFactory.create(title="Cutting water losses"))

    assert changelist_pks(client, q="AquaSense") == {by_name.pk}
    assert changelist_pks(client, q="acoustic") == {by_solution.pk}
    assert changelist_pks(client, q="water losses") == {by_challenge.pk}


@pytest.fixture
def read_application():
    """A submitted application with answers of several kinds, a hidden question answered, a file, eligibility
    answers, its startup's private notes and two submitted versions."""
    program = ProgramFactory.create()
    challenge = ChallengeFactory.create(program=program)
    condition = EligibilityCondition.objects.create(program=program, statement="Registered in Morocco")
    sector = Question.objects.create(
        program=program, order=1, kind=QuestionKind.SINGLE_CHOICE, label="Sector", choices="Water\nEnergy"
    )
    traction = Question.objects.create(program=program, order=2, label="Traction")
    deck = Question.objects.create(program=program, order=3, kind=QuestionKind.FILE, label="Deck")
    hidden = Question.objects.create(program=program, order=4, label="Old question", hidden=True)
    app = application(
        challenge=challenge,
        eligibility={str(condition.pk): True},
        internal_notes="PRIVATE-NOTE-OF-THE-FOUNDERS",
        solution="Sensors on <b>every</b> pipe.",
    )
    file = Attachment.objects.create(
        application=app,
        question=deck,
        file=f"applications/{app.pk}/key",
        name="deck <v2>.pdf",
        content_type="application/pdf",
        size=2048,
        sha256="0" * 64,
    )
    Answer.objects.create(application=app, question=sector, value=1)
    Answer.objects.create(application=app, question=traction, value="3 pilots")
    Answer.objects.create(application=app, question=deck, value=[file.pk])
    Answer.objects.create(application=app, question=hidden, value="Kept")
    when = timezone.now()
    first = {"solution": "Sensors on pipes.", "answers": {str(traction.pk): "1 pilot", str(sector.pk): 0}}
    second = {"solution": "Sensors on <b>every</b> pipe.", "answers": {str(traction.pk): "3 pilots", str(sector.pk): 1}}
    ApplicationVersion.objects.create(application=app, number=1, submitted_at=when, content=first)
    ApplicationVersion.objects.create(application=app, number=2, submitted_at=when, content=second)
    return app, file


def test_the_change_page_shows_the_whole_application_and_never_the_startups_notes(client, manager, read_application):
    app, file = read_application

    response = client.get(change_url(app))
    html = response.content.decode()

    assert response.status_code == 200
    assert "PRIVATE-NOTE-OF-THE-FOUNDERS" not in html
    texts = [row["text"] for row in response.context["answer_rows"]]
    assert texts == ["Energy", "3 pilots", "", "Kept"]  # in the form's order, choices as text, the hidden one kept
    assert response.context["answer_rows"][2]["files"] == [file]
    assert html.count(f'href="{file.get_absolute_url()}"') == 2  # beside its question and in the files
    assert "deck &lt;v2&gt;.pdf" in html
    assert [row["answer"] for row in response.context["eligibility_rows"]] == [True]
    assert response.context["meets_every_condition"]


def test_the_change_page_shows_the_versions_and_a_readable_escaped_diff(client, manager, read_application):
    app, _file = read_application

    response = client.get(change_url(app))
    html = response.content.decode()

    latest, first = response.context["version_rows"]
    assert (latest["version"].number, first["version"].number) == (2, 1)
    assert first["changes"] is None  # nothing to compare the first submission with
    changed = {str(change["label"]): change["segments"] for change in latest["changes"]}
    assert set(changed) == {"Traction", "Sector", str(Application._meta.get_field("solution").verbose_name)}
    assert ("removed", "Water") in changed["Sector"]
    assert ("added", "Energy") in changed["Sector"]
    assert "<ins>&lt;b&gt;every&lt;/b&gt; pipe.</ins>" in html  # the applicant's text is escaped, never markup
    assert "<b>every</b>" not in html
    assert "<del>1 pilot</del>" in html


def test_the_change_page_shows_the_review_table(client, manager, read_application):
    app, _file = read_application

    response = client.get(change_url(app))

    table = response.context["transitions"]
    assert [row["current"] for row in table].count(True) == 1
    current = next(row for row in table if row["current"])
    assert current["source"] == ApplicationStatus.SUBMITTED.label
    assert current["targets"] == [ApplicationStatus.UNDER_REVIEW.label]
    assert len(table) == len(STAFF_TRANSITIONS)


def test_the_change_page_query_count_does_not_grow_with_answers_files_and_versions(client, manager):
    app = application()
    program = app.challenge.program

    def grow(n):
        while app.answers.count() < n:
            question = Question.objects.create(program=program, kind=QuestionKind.FILE, label="A file")
            file = Attachment.objects.create(
                application=app, question=question, file="k", name="f.pdf", content_type="x", size=1, sha256="0"
            )
            Answer.objects.create(application=app, question=question, value=[file.pk])
            number = app.versions.count() + 1
            ApplicationVersion.objects.create(
                application=app, number=number, submitted_at=timezone.now(), content={"solution": f"v{number}"}
            )

    assert_constant_queries(client, change_url(app), grow, at_most=25)


def test_staff_extend_the_deadline_of_chosen_applications_with_a_reason(client, manager):
    chosen = application(status=ApplicationStatus.DRAFT)
    call = PhaseFactory.create(program=chosen.challenge.program, kind=PhaseKind.CALL_FOR_APPLICATIONS)
    changelist = reverse("admin:startups_application_changelist")
    action = {"action": "extend_deadline", "index": "0", "_selected_action": [chosen.pk]}

    asked = client.post(changelist, action)  # the intermediate page asks when, and why
    assert asked.status_code == 200
    assert "reason" in asked.context["form"].fields
    refused = client.post(changelist, {**action, "apply": "1", "until": "", "reason": ""})
    assert refused.status_code == 400
    chosen.refresh_from_db()
    assert chosen.extended_until is None

    until = timezone.localtime(call.ends_at + timedelta(days=2)).replace(microsecond=0, tzinfo=None)
    done = client.post(changelist, {**action, "apply": "1", "until": until.isoformat(" "), "reason": "Outage"})
    assert done.status_code == 302
    chosen.refresh_from_db()
    assert chosen.extended_until == call.ends_at.replace(microsecond=0) + timedelta(days=2)
    assert AuditEntry.objects.get(action="application.extended").details["reason"] == "Outage"
