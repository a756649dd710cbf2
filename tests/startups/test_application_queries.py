"""What saving and submitting an application costs in queries, through its page as a browser sends it: the same
whatever the number of questions, answers and files, so that a call's last minute (hundreds of startups saving and
submitting at once, `datacity.demo.surge`) is not slowed by the size of the form. The counts are pinned: one query
more is a regression to look at, not a number to raise.

Each count is the whole request (session, user, page, services): a save with a file runs two transactions, the files
stored first (`attachments_stage`) and then the answers. Files staged within the hour are never pruned, so what names
them is read only when older files exist: both cases are counted.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from startups import services
from startups.models import (
    Answer,
    Application,
    ApplicationStatus,
    Attachment,
    EligibilityCondition,
    Question,
    QuestionKind,
)
from tests.factories import ChallengeFactory, ProgramFactory, StartupMembershipFactory, open_call

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# What a browser sends for each kind of question, and what the services keep of it.
SENT = {
    QuestionKind.SHORT_TEXT: ("A short answer", "A short answer"),
    QuestionKind.LONG_TEXT: ("A longer answer.", "A longer answer."),
    QuestionKind.SINGLE_CHOICE: ("1", 1),
    QuestionKind.MULTIPLE_CHOICE: (["0", "2"], [0, 2]),
    QuestionKind.NUMBER: ("12,5", "12.5"),
    QuestionKind.URL: ("https://example.org/", "https://example.org/"),
    QuestionKind.YES_NO: ("yes", True),
}
# The whole request, from the session to the redirect (see the module's docstring).
BUDGET = {
    # (action, files older than an hour): queries
    ("save with a file", False): 25,
    ("save with a file", True): 27,
    ("save", False): 17,
    ("save", True): 19,
    ("submit", False): 23,
    ("submit", True): 25,
}


@dataclass
class Form:
    application: Application
    condition: EligibilityCondition
    deck: Question


def form_of(*, questions: int, files: int, old: bool) -> Form:
    """An open call whose form asks a required file question, `questions` more of every kind (a file question among
    every eight) and one eligibility condition; a startup's draft answering all of them, with `files` files on each
    file question (the first one always has one), older than an hour with `old`."""
    program = ProgramFactory.create()
    open_call(program)
    challenge = ChallengeFactory.create(program=program)
    deck = Question.objects.create(
        program=program, challenge=challenge, label="Pitch deck", kind=QuestionKind.FILE, required=True
    )
    kinds = list(QuestionKind.values)
    for n in range(questions):
        Question.objects.create(
            program=program,
            order=n + 1,
            label=f"Question {n}",
            kind=kinds[n % len(kinds)],
            choices="One\nTwo\nThree",
            required=n % 2 == 0,
        )
    condition = EligibilityCondition.objects.create(program=program, statement="Registered in Morocco")
    member = StartupMembershipFactory.create()
    application = Application.objects.create(
        startup=member.startup,
        challenge=challenge,
        eligibility={str(condition.pk): True},
        solution="Sensors on every tram.",
        data_use="Ridership data.",
        team="Three engineers.",
        stage="prototype",
        last_saved_by=member.user,
    )
    for question in services.questions_for(challenge):
        if question.kind == QuestionKind.FILE:
            value: object = [
                Attachment.objects.create(
                    application=application, question=question, file=f"applications/{question.pk}-{n}",
                    name=f"file-{n}.pdf", content_type="application/pdf", size=len(PDF), sha256="0" * 64,
                    uploaded_by=member.user,
                ).pk
                for n in range(max(files, 1 if question == deck else 0))
            ]  # fmt: skip
        else:
            value = SENT[question.kind][1]
        Answer.objects.create(application=application, question=question, value=value)
    if old:
        Attachment.objects.filter(application=application).update(uploaded_at=timezone.now() - timedelta(hours=2))
    return Form(application=application, condition=condition, deck=deck)


def sent(form: Form, action: str) -> dict[str, object]:
    """The form as a browser sends it: every question answered, every file kept, a new file with a "save with a
    file"."""
    application = Application.objects.get(pk=form.application.pk)
    data: dict[str, object] = {
        "revision": application.revision,
        "solution": application.solution,
        "data_use": application.data_use,
        "team": application.team,
        "stage": application.stage,
        "internal_notes": "",
        f"eligibility_{form.condition.pk}": "yes",
        "action": "submit" if action == "submit" else "save",
    }
    kept: dict[int, list[int]] = {}
    for attachment in application.attachments.all():
        kept.setdefault(attachment.question_id, []).append(attachment.pk)
    for question in services.questions_for(application.challenge):
        if question.kind == QuestionKind.FILE:
            data[f"keep_{question.pk}"] = kept.get(question.pk, [])
        else:
            data[f"question_{question.pk}"] = SENT[question.kind][0]
    if action == "save with a file":
        data[f"question_{form.deck.pk}"] = SimpleUploadedFile("deck.pdf", PDF, content_type="application/pdf")
    return data


def queries_of(client, form: Form, action: str) -> int:
    """The queries of the action sent once the page and the action have been sent once (caches warm), checked to
    have done what it says."""
    url = reverse("startups:application_edit", kwargs={"pk": form.application.pk})
    client.force_login(form.application.last_saved_by)
    assert client.get(url).status_code == 200
    assert client.post(url, sent(form, action)).status_code == 302
    data = sent(form, action)
    files = Attachment.objects.filter(application=form.application).count()
    revision = Application.objects.values_list("revision", flat=True).get(pk=form.application.pk)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    application = Application.objects.get(pk=form.application.pk)
    assert application.revision == revision + 1
    if action == "submit":
        assert application.status == ApplicationStatus.SUBMITTED
        assert application.versions.count() == 2
    else:
        assert application.status == ApplicationStatus.DRAFT
    assert application.attachments.count() == files + (action == "save with a file")
    return len(queries)


@pytest.mark.parametrize("old", [False, True], ids=["files of the last hour", "files older than an hour"])
@pytest.mark.parametrize("action", ["save with a file", "save", "submit"])
def test_a_save_or_a_submission_costs_the_same_queries_whatever_the_form_holds(client, action, old):
    few = queries_of(client, form_of(questions=1, files=0, old=old), action)
    many = queries_of(client, form_of(questions=24, files=2, old=old), action)

    assert many == few
    assert few <= BUDGET[(action, old)]


def test_the_services_write_every_answer_in_one_statement(django_assert_num_queries):
    """Under the page, the services alone: a save of 25 answers naming 4 files is ten queries."""
    form = form_of(questions=24, files=1, old=False)
    application = form.application
    answers = dict(application.answers.values_list("question_id", "value"))
    texts = [question_id for question_id, value in answers.items() if value == SENT[QuestionKind.SHORT_TEXT][1]]
    answers.update(dict.fromkeys(texts, "Changed"))
    member = application.last_saved_by

    # A savepoint and its release, the member, the call, the lock, the application, its files, the questions, the
    # answers, the audit entry.
    with django_assert_num_queries(10):
        services.application_save(
            startup=application.startup,
            challenge=application.challenge,
            actor=member,
            data={"answers": answers},
            revision=application.revision,
        )

    changed = Answer.objects.filter(application=application, value="Changed")
    assert set(changed.values_list("question_id", flat=True)) == set(texts)
    assert Answer.objects.filter(application=application).count() == 25
