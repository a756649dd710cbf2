"""Staff review applications in the admin: the status moves through the service (audited, refusals shown, never a
500), questions that have answers are kept, the list stays cheap.

The admin speaks the default language (French): assertions read statuses, levels and audit entries, not sentences.
"""

import pytest
from django.contrib import messages
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from datacity.accounts.roles import PROGRAM_MANAGER
from datacity.audit.models import AuditEntry
from startups.models import Answer, Application, ApplicationStatus, Question
from tests.admin_forms import admin_change_data
from tests.factories import ChallengeFactory, ProgramFactory, StartupFactory, UserFactory
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
        solution="Sensors on every bus stop.",
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
