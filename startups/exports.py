"""The CSV export of an edition's applications for staff: one row per application, one column per question, streamed
from one server-side cursor so that 100,000 applications take no more memory than 10."""

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib.postgres.aggregates.mixins import OrderableAggMixin
from django.db import connection
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    Exists,
    F,
    Field,
    Func,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.fields.json import DataContains
from django.db.models.functions import Cast, Coalesce
from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from challenges.models import Challenge, Program
from datacity.audit.services import record

from .models import (
    Answer,
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Attachment,
    EligibilityCondition,
    ProductStage,
    Question,
    QuestionKind,
)

# Rows fetched from the server-side cursor at a time, and CSV lines sent to the client at a time.
CHUNK_SIZE = 2000
LINES_PER_CHUNK = 500

# The columns before the questions, in the order of every row.
COLUMNS = (
    "id",
    "startup",
    "challenge",
    "status",
    "submitted_at",
    "stage",
    "solution",
    "data_use",
    "team",
    "eligibility",
    "versions",
    "attachments",
)

# A cell starting with one of these is a formula to a spreadsheet (CSV injection): it is given a leading apostrophe.
FORMULA_STARTS = frozenset("=+-@\t\r")


def meets_every_condition() -> Exists:
    """True where the application answered yes to every eligibility condition of its edition (an edition without
    conditions: always), computed by the database: no condition of the edition the answers do not contain as yes."""
    yes = Func(Cast("pk", CharField()), Value(True), function="JSONB_BUILD_OBJECT", output_field=JSONField())
    unmet = EligibilityCondition.objects.filter(program=OuterRef("challenge__program_id")).filter(
        ~Q(DataContains(OuterRef("eligibility"), yes))
    )
    return cast(Exists, ~Exists(unmet))


class JSONObjectText(OrderableAggMixin, Aggregate):  # type: ignore[misc]  # as Django's own JSONBAgg
    """`json_object_agg(key, value)` as the text of one JSON object: the cheapest aggregate of the answers (jsonb's
    costs a third more for 100,000 applications), decoded once in Python."""

    function = "JSON_OBJECT_AGG"
    template = "%(function)s(%(distinct)s%(expressions)s %(order_by)s)::text"
    output_field = TextField()


def _per_application(queryset: QuerySet, aggregate: Aggregate) -> Subquery:
    """`aggregate` over the rows of `queryset` that belong to the outer application, as one value."""
    rows = queryset.filter(application=OuterRef("pk")).order_by().values("application")
    return Subquery(rows.annotate(result=aggregate).values("result"))


def without_jit(rows: Iterator[Any]) -> Iterator[Any]:
    """`rows`, read with PostgreSQL's JIT compilation off for this connection: the export's many small per-row
    subqueries look costly to the planner, which would compile them for up to a second before the first row, for
    nothing (measured by `manage.py bench_application_export`). Put back when the rows are read or abandoned."""
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    try:
        yield from rows
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET jit")


def field_label(name: str) -> str:
    """The verbose name of one of Application's own fields, in the current language."""
    return str(cast(Field, Application._meta.get_field(name)).verbose_name)


def applications_of(program: Program) -> QuerySet[Application]:
    return Application.objects.filter(challenge__program=program)


def export_questions(program: Program) -> list[Question]:
    """Every question of the edition, hidden ones included: the edition's own first, then each challenge's."""
    return list(
        Question.objects.filter(program=program).order_by(F("challenge_id").asc(nulls_first=True), "order", "pk")
    )


def neutralise(value: str) -> str:
    return "'" + value if value[:1] in FORMULA_STARTS else value


def file_names(value: Any, files: dict[str, str]) -> str:
    """A file question's cell: the names of the files its answer lists (`files`: the application's, by id)."""
    return "; ".join(filter(None, (files.get(str(pk)) for pk in value))) if isinstance(value, list) else ""


# Kinds whose answers take a handful of values: each is turned into text once per export.
MEMOISED_KINDS = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE, QuestionKind.YES_NO})
MEMO_SIZE = 1024


def memoised(question: Question) -> Callable[[Any, dict[str, str]], str]:
    """`question.display_answer`, remembered for the first MEMO_SIZE distinct answers (a choice question's answers
    are a few positions): reading the translated choices anew for each of 100,000 rows would be most of the time."""
    known: dict[Any, str] = {}

    def cell(value: Any, files: dict[str, str]) -> str:
        key = (value.__class__, tuple(value) if isinstance(value, list) else value)
        try:
            return known[key]
        except KeyError:
            text = question.display_answer(value)
            if len(known) < MEMO_SIZE:
                known[key] = text
            return text
        except TypeError:  # not hashable (a list of lists, an object): not a choice, shown as it is
            return question.display_answer(value)

    return cell


def as_text(question: Question) -> Callable[[Any, dict[str, str]], str]:
    """`question.display_answer` for the other kinds, whose answer is a string shown as it is (a shortcut of the
    same result: it runs for every cell of 100,000 rows)."""

    def cell(value: Any, files: dict[str, str]) -> str:
        return value if value.__class__ is str else question.display_answer(value)

    return cell


@dataclass
class Export:
    """The columns and rows of one edition's export, in the language active when it was made."""

    program: Program
    language: str

    def __post_init__(self) -> None:
        self.questions = export_questions(self.program)
        # Every condition answered yes: the eligibility answers must contain this (the same for the whole edition).
        self.required = {
            str(pk): True
            for pk in EligibilityCondition.objects.filter(program=self.program).values_list("pk", flat=True)
        }
        with translation.override(self.language):
            self.challenges = {
                challenge.pk: challenge.title for challenge in Challenge.objects.filter(program=self.program)
            }

    def header(self) -> list[str]:
        labels = {
            "id": "id",
            "eligibility": _("meets every eligibility condition"),
            "versions": _("submitted versions"),
            "attachments": _("attachments"),
        }
        columns = [str(labels[name]) if name in labels else field_label(name) for name in COLUMNS]
        for question in self.questions:
            if question.challenge_id is None:
                columns.append(question.label)
            else:
                columns.append(f"{question.label} ({self.challenges.get(question.challenge_id, '')})")
        return [neutralise(column) for column in columns]

    def queryset(self) -> QuerySet:
        return (
            applications_of(self.program)
            .annotate(
                meets=DataContains(F("eligibility"), Value(self.required, output_field=JSONField())),
                version_count=Coalesce(
                    _per_application(ApplicationVersion.objects.all(), Count("pk")), 0, output_field=IntegerField()
                ),
                answer_values=_per_application(Answer.objects.all(), JSONObjectText("question_id", "value")),
                files=_per_application(Attachment.objects.all(), JSONObjectText("pk", "name", order_by="pk")),
            )
            .order_by()  # the database's order: sorting 100,000 wide rows would cost a fifth of the export
            .values_list(
                "pk",
                "startup__name",
                "challenge_id",
                "status",
                "submitted_at",
                "stage",
                "solution",
                "data_use",
                "team",
                "meets",
                "version_count",
                "files",
                "answer_values",
            )
        )

    def answer_cells(self) -> list[tuple[str, Callable[[Any, dict[str, str]], str]]]:
        """For each question column, its key in the aggregated answers and what turns an answer into the cell."""
        cells: list[tuple[str, Callable[[Any, dict[str, str]], str]]] = []
        for question in self.questions:
            if question.kind == QuestionKind.FILE:
                cells.append((str(question.pk), file_names))
            elif question.kind in MEMOISED_KINDS:
                cells.append((str(question.pk), memoised(question)))
            else:
                cells.append((str(question.pk), as_text(question)))
        return cells

    def rows(self) -> Iterator[list[str]]:
        """One list of cells per application, from one server-side cursor: no query per row."""
        zone = self.program.time_zone
        statuses = {value: str(label) for value, label in ApplicationStatus.choices}
        stages = {value: str(label) for value, label in ProductStage.choices}
        yes, no = str(_("Yes")), str(_("No"))
        cells = self.answer_cells()
        challenges, starts, localtime, loads = self.challenges, FORMULA_STARTS, timezone.localtime, json.loads
        for (
            pk,
            startup,
            challenge_id,
            status,
            submitted_at,
            stage,
            solution,
            data_use,
            team,
            meets,
            version_count,
            files,
            answers,
        ) in without_jit(self.queryset().iterator(chunk_size=CHUNK_SIZE)):
            files = loads(files) if files else {}
            answers = loads(answers) if answers else {}
            row = [
                str(pk),
                startup,
                challenges.get(challenge_id, ""),
                statuses.get(status, status),
                localtime(submitted_at, zone).isoformat() if submitted_at else "",
                stages.get(stage, stage),
                solution,
                data_use,
                team,
                yes if meets else no,
                str(version_count),
                "; ".join(files.values()),
            ]
            row += [cell(answers.get(key), files) for key, cell in cells]
            # neutralise(), inlined: it runs for every cell of 100,000 rows.
            yield ["'" + text if text[:1] in starts else text for text in row]

    def lines(self) -> Iterator[str]:
        """The CSV text, a few hundred lines at a time, behind a byte order mark (Excel then reads UTF-8)."""
        with translation.override(self.language):
            writer = csv.writer(Echo())
            yield "\ufeff" + writer.writerow(self.header())
            batch: list[str] = []
            for row in self.rows():
                batch.append(writer.writerow(row))
                if len(batch) >= LINES_PER_CHUNK:
                    yield "".join(batch)
                    batch.clear()
            if batch:
                yield "".join(batch)


class Echo:
    """A file-like object whose `write` hands the line back, so the csv module makes lines one at a time."""

    def write(self, value: str) -> str:
        return value


def csv_response(export: Export) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export.lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="applications-{export.program.slug}.csv"'
    return response


def export_response(*, program: Program, actor: Any) -> StreamingHttpResponse:
    """The download of an edition's applications, audited (who, which edition, how many rows)."""
    export = Export(program=program, language=translation.get_language() or settings.LANGUAGE_CODE)
    record(action="application.exported", actor=actor, obj=program, rows=applications_of(program).count())
    return csv_response(export)
