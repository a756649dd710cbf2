"""The CSV export of an edition's applications: one row per application, one column per question (hidden ones and
challenge-specific ones included), never the startups' notes, safe in a spreadsheet, streamed with a query count
that does not grow with the rows, reached by staff from the admin and recorded in the audit log.

The admin speaks the default language (French): assertions read cells, ids and statuses, not sentences.
"""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from datacity.accounts.roles import AUDITOR, PROGRAM_MANAGER
from datacity.audit.models import AuditEntry
from startups import exports
from startups.models import (
    Answer,
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Attachment,
    EligibilityCondition,
    Question,
    QuestionKind,
)
from tests.factories import ChallengeFactory, ProgramFactory, StartupFactory, UserFactory

pytestmark = pytest.mark.django_db

EXPORT_URL = "admin:startups_application_export"


@pytest.fixture
def manager(client):
    user = UserFactory.create(is_staff=True)
    user.groups.add(Group.objects.get(name=PROGRAM_MANAGER))
    client.force_login(user)
    return user


@pytest.fixture
def edition():
    """An edition with two challenges, one condition, and questions of every kind: one hidden, one asked only for
    the first challenge."""
    program = ProgramFactory.create()
    first, second = ChallengeFactory.create(program=program), ChallengeFactory.create(program=program)
    condition = EligibilityCondition.objects.create(program=program, statement="Registered in Morocco")
    questions = {
        "text": Question.objects.create(program=program, order=1, label="Traction"),
        "choice": Question.objects.create(
            program=program, order=2, kind=QuestionKind.SINGLE_CHOICE, label="Sector", choices="Water\nEnergy"
        ),
        "many": Question.objects.create(
            program=program, order=3, kind=QuestionKind.MULTIPLE_CHOICE, label="Data", choices="Traffic\nMeters\nMaps"
        ),
        "yes_no": Question.objects.create(program=program, order=4, kind=QuestionKind.YES_NO, label="Incorporated"),
        "file": Question.objects.create(program=program, order=5, kind=QuestionKind.FILE, label="Pitch deck"),
        "hidden": Question.objects.create(program=program, order=6, label="Old question", hidden=True),
        "own": Question.objects.create(program=program, challenge=first, order=7, label="Pipes you know"),
    }
    return program, first, second, condition, questions


def make_application(challenge, *, condition=None, meets=True, status=ApplicationStatus.SUBMITTED, **fields):
    return Application.objects.create(
        startup=fields.pop("startup", None) or StartupFactory.create(),
        challenge=challenge,
        status=status,
        submitted_at=datetime(2025, 10, 10, 23, 30, tzinfo=UTC),
        eligibility={str(condition.pk): meets} if condition else {},
        **fields,
    )


def attach(application, question, name: str) -> Attachment:
    return Attachment.objects.create(
        application=application,
        question=question,
        file=f"applications/{application.pk}/{name}",
        name=name,
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
    )


def read_csv(response) -> list[list[str]]:
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark: Excel reads Arabic right
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def export(client, program) -> list[list[str]]:
    response = client.post(reverse(EXPORT_URL), {"program": program.pk})
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return read_csv(response)


def by_id(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    header, *data = rows
    return {row[0]: dict(zip(header, row, strict=True)) for row in data}


def column(rows, label: str) -> int:
    return rows[0].index(label)


def test_one_row_per_application_of_the_edition_one_column_per_question(client, manager, edition):
    program, first, second, condition, questions = edition
    full = make_application(first, condition=condition, solution="Sensors", stage="pilot", team="Two founders")
    Answer.objects.create(application=full, question=questions["text"], value="1,000 users")
    Answer.objects.create(application=full, question=questions["choice"], value=1)
    Answer.objects.create(application=full, question=questions["many"], value=[0, 2])
    Answer.objects.create(application=full, question=questions["yes_no"], value=True)
    Answer.objects.create(application=full, question=questions["hidden"], value="Kept answer")
    Answer.objects.create(application=full, question=questions["own"], value="The old town's")
    deck = attach(full, questions["file"], "deck.pdf")
    attach(full, questions["file"], "old-deck.pdf")  # replaced: still an attachment of the application
    Answer.objects.create(application=full, question=questions["file"], value=[deck.pk])
    ApplicationVersion.objects.create(application=full, number=1, submitted_at=full.submitted_at, content={})
    ApplicationVersion.objects.create(application=full, number=2, submitted_at=full.submitted_at, content={})
    draft = make_application(second, condition=condition, meets=False, status=ApplicationStatus.DRAFT)
    make_application(ChallengeFactory.create())  # another edition's

    rows = export(client, program)

    header = rows[0]
    assert len(rows) == 3  # the header, then the edition's two applications (drafts too)
    assert {row[0] for row in rows[1:]} == {str(full.pk), str(draft.pk)}
    assert len(set(map(len, rows))) == 1
    for question in questions.values():
        assert any(cell.startswith(question.label) for cell in header), question.label  # hidden and own included
    row = by_id(rows)[str(full.pk)]
    cells = rows[[r[0] for r in rows].index(str(full.pk))]
    assert cells[column(rows, "Traction")] == "1,000 users"
    assert cells[column(rows, "Sector")] == "Energy"
    assert cells[column(rows, "Data")] == "Traffic, Maps"
    assert cells[column(rows, "Old question")] == "Kept answer"
    assert cells[column(rows, "Pitch deck")] == "deck.pdf"
    own = next(index for index, label in enumerate(header) if label.startswith("Pipes you know"))
    assert cells[own] == "The old town's"
    assert row["id"] == str(full.pk)
    assert full.startup.name in cells
    assert first.title in cells
    assert "Sensors" in cells
    assert "Two founders" in cells
    assert "2025-10-11T00:30:00+01:00" in cells  # in the edition's time zone (Casablanca, UTC+1 outside Ramadan)
    assert "2" in cells  # versions
    assert "deck.pdf; old-deck.pdf" in cells  # every file of the application
    with translation.override("fr"):
        assert str(ApplicationStatus.SUBMITTED.label) in cells


def test_the_eligibility_column_says_whether_every_condition_is_met(client, manager, edition):
    program, first, _second, condition, _questions = edition
    meets = make_application(first, condition=condition, meets=True)
    fails = make_application(first, condition=condition, meets=False)
    silent = make_application(first)  # answered nothing
    other = EligibilityCondition.objects.create(program=program, statement="Less than 5 years old")
    half = make_application(first, condition=condition, meets=True)
    Application.objects.filter(pk=meets.pk).update(eligibility={str(condition.pk): True, str(other.pk): True})

    rows = export(client, program)

    index = exports.COLUMNS.index("eligibility")
    cells = {row[0]: row[index] for row in rows[1:]}
    with translation.override("fr"):
        yes, no = gettext("Yes"), gettext("No")
    assert cells == {str(meets.pk): yes, str(fails.pk): no, str(silent.pk): no, str(half.pk): no}


def test_internal_notes_are_never_exported(client, manager, edition):
    program, first, *_rest = edition
    make_application(first, internal_notes="SECRET-NOTE of the founders", solution="Public text")

    content = b"".join(client.post(reverse(EXPORT_URL), {"program": program.pk}).streaming_content).decode()

    assert "SECRET-NOTE" not in content
    assert "Public text" in content


@pytest.mark.parametrize("hostile", ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"])
def test_cells_a_spreadsheet_would_run_as_a_formula_are_neutralised(client, manager, edition, hostile):
    program, first, _second, _condition, questions = edition
    app = make_application(first, solution=hostile, startup=StartupFactory.create(name="=cmd|' /C calc'!A0"))
    Answer.objects.create(application=app, question=questions["text"], value=hostile)

    cells = export(client, program)[1]

    assert cells.count("'" + hostile) == 2
    assert "'=cmd|' /C calc'!A0" in cells
    assert not any(cell[:1] in "=+-@\t\r" for cell in cells if cell)


def test_arabic_survives_the_round_trip(client, manager, edition):
    program, first, _second, _condition, questions = edition
    text = "حل ذكي لإدارة المياه في الدار البيضاء"
    app = make_application(first, solution=text, startup=StartupFactory.create(name="شركة ناشئة"))
    Answer.objects.create(application=app, question=questions["text"], value=text)

    cells = export(client, program)[1]

    assert cells.count(text) == 2
    assert "شركة ناشئة" in cells


def test_question_labels_and_answers_are_in_the_language_of_the_export(edition):
    """The admin speaks French (it has no language prefix); an export made in Arabic reads in Arabic."""
    program, first, _second, _condition, questions = edition
    Question.objects.filter(pk=questions["choice"].pk).update(label_ar="القطاع", choices_ar="الماء\nالطاقة")
    app = make_application(first)
    Answer.objects.create(application=app, question=questions["choice"], value=1)

    content = "".join(exports.Export(program=program, language="ar").lines())
    header, row = list(csv.reader(io.StringIO(content.lstrip("\ufeff"))))

    assert row[header.index("القطاع")] == "الطاقة"


def test_the_export_streams_with_a_query_count_that_does_not_grow_with_the_rows(client, manager, edition):
    program, first, second, condition, questions = edition

    def grow(n):
        while Application.objects.filter(challenge__program=program).count() < n:
            app = make_application(first if Application.objects.count() % 2 else second, condition=condition)
            Answer.objects.create(application=app, question=questions["text"], value="An answer")
            Answer.objects.create(application=app, question=questions["choice"], value=0)
            Answer.objects.create(
                application=app, question=questions["file"], value=[attach(app, questions["file"], "a.pdf").pk]
            )
            ApplicationVersion.objects.create(application=app, number=1, submitted_at=app.submitted_at, content={})

    def count(n):
        grow(n)
        export(client, program)  # the first request fills the process's caches (content types, permissions)
        with CaptureQueriesContext(connection) as queries:
            rows = export(client, program)
        assert len(rows) == n + 1
        return len(queries)

    small, large = count(5), count(50)

    assert small == large, f"{small} queries with 5 applications, {large} with 50"
    assert large <= 15


def test_the_rows_come_from_one_server_side_cursor(edition):
    program, first, *_rest = edition
    make_application(first)

    sql = str(exports.Export(program=program, language="fr").queryset().query)

    assert sql.count("JSON_OBJECT_AGG") == 2  # answers and files aggregated in the same statement
    assert "internal_notes" not in sql


def test_the_download_is_recorded_with_the_edition_and_the_row_count(client, manager, edition):
    program, first, *_rest = edition
    make_application(first)
    make_application(first)

    export(client, program)

    entry = AuditEntry.objects.get(action="application.exported")
    assert entry.actor == manager
    assert entry.object_id == str(program.pk)
    assert entry.details["rows"] == 2


def test_the_edition_chooser_is_for_staff_who_may_view_applications(client, edition):
    program, *_rest = edition
    auditor = UserFactory.create(is_staff=True)
    auditor.groups.add(Group.objects.get(name=AUDITOR))
    bare_staff = UserFactory.create(is_staff=True)

    client.force_login(bare_staff)
    assert client.get(reverse(EXPORT_URL)).status_code == 403
    assert client.post(reverse(EXPORT_URL), {"program": program.pk}).status_code == 403
    client.force_login(auditor)
    page = client.get(reverse(EXPORT_URL), {"program": program.pk})
    assert page.status_code == 200
    assert page.context["form"]["program"].value() == str(program.pk)
    assert client.post(reverse(EXPORT_URL), {"program": "nope"}).status_code == 400
    assert not AuditEntry.objects.filter(action="application.exported").exists()


def test_the_changelist_links_to_the_export_with_its_edition(client, manager, edition):
    program, *_rest = edition
    changelist = reverse("admin:startups_application_changelist")

    page = client.get(changelist, {"challenge__program__id__exact": program.pk})

    assert page.status_code == 200
    assert f'{reverse(EXPORT_URL)}?program={program.pk}"' in page.content.decode()
