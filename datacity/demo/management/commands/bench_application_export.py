"""`manage.py bench_application_export` (`make bench`): how fast, and in how much memory, staff's CSV export of an
edition's applications streams.

On the current database (the demo's, after load_demo): two throwaway editions of 10,000 and 100,000 applications,
each with four challenges, eight questions (every kind, one hidden, one asked for one challenge only), two eligibility
conditions, answers, a file per application and submitted versions, written by a few INSERT … SELECT over
generate_series. Each edition's export is streamed to a null sink through the response staff download: three
times timed (the best gives rows per second), once under tracemalloc (peak of Python's memory while streaming).
Targets live here, not in timed tests: the command exits non-zero when the rate is under 20,000 rows/s or when the
peak at 100,000 rows exceeds the peak at 10,000 by more than 20% or 2 MiB, whichever allows more (the export must
stream, not accumulate). The editions, startups and everything they hold are deleted afterwards, whatever happened.
"""

import time
import tracemalloc
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from challenges.models import Challenge, ChallengeStatus, Program
from datacity.demo import benchreport
from partners.models import Partner
from startups import exports
from startups.models import (
    EligibilityCondition,
    Question,
    QuestionKind,
)

TARGET_ROWS_PER_SECOND = 20_000.0
MEMORY_MARGIN_RATIO = 0.20
MEMORY_MARGIN_BYTES = 2 * 1024 * 1024
CHALLENGES = 4
TIMED_RUNS = 3
MIB = 1024 * 1024

# The edition's form: eight questions, as an edition would ask them.
QUESTIONS = (
    (QuestionKind.SHORT_TEXT, "Traction", ""),
    (QuestionKind.LONG_TEXT, "Ce que vous attendez du programme", ""),
    (QuestionKind.SINGLE_CHOICE, "Secteur", "Eau\nÉnergie\nMobilité\nDéchets"),
    (QuestionKind.MULTIPLE_CHOICE, "Données utilisées", "Comptages\nCompteurs\nCartes\nCapteurs"),
    (QuestionKind.NUMBER, "Effectif", ""),
    (QuestionKind.URL, "Démonstration", ""),
    (QuestionKind.YES_NO, "Société immatriculée", ""),
    (QuestionKind.FILE, "Présentation", ""),
)

# The answers of the applications of the edition's challenges (`%(challenges)s`) to its questions, each made of the
# application's id as the kind of the question wants it (a file question's: the application's file), written
# application by application as startups save them.
ANSWERS_SQL = """
INSERT INTO startups_answer (application_id, question_id, value)
SELECT a.id, q.id, CASE q.kind
    WHEN 'short_text' THEN to_jsonb('=' || (a.id %% 1000) || ' pilotes, ' || (a.id %% 97) || ' clients')
    WHEN 'long_text' THEN to_jsonb(repeat('Un accompagnement pour tester la solution sur le terrain, avec les '
        || 'données de la ville. مرافقة لاختبار الحل في الميدان. ', 3))
    WHEN 'single_choice' THEN to_jsonb(a.id %% 4)
    WHEN 'multiple_choice' THEN jsonb_build_array(a.id %% 4, (a.id + 1) %% 4)
    WHEN 'number' THEN to_jsonb(((a.id %% 50) + 1)::text)
    WHEN 'url' THEN to_jsonb('https://example.org/demo/' || a.id)
    WHEN 'yes_no' THEN to_jsonb(a.id %% 3 <> 0)
    WHEN 'file' THEN jsonb_build_array(f.id)
    END
FROM startups_application a
JOIN startups_question q ON q.program_id = %(program)s AND (q.challenge_id IS NULL OR q.challenge_id = a.challenge_id)
LEFT JOIN startups_attachment f ON f.application_id = a.id AND f.question_id = q.id
WHERE a.challenge_id = ANY(%(challenges)s)
ORDER BY a.id, q."order"
"""

APPLICATIONS_SQL = """
INSERT INTO startups_application (created_at, updated_at, startup_id, challenge_id, status, solution, data_use, team,
    stage, eligibility, revision, submitted_at, ineligible_reason, internal_notes)
SELECT %(now)s, %(now)s, s.id, c.id,
    (ARRAY['submitted', 'under_review', 'eligible', 'ineligible', 'draft'])[1 + (s.id + c.id) %% 5],
    'Des capteurs sur chaque conduite pour repérer les fuites en moins de 24 heures. '
        || 'أجهزة استشعار على كل أنبوب. ' || s.id,
    'Les relevés des compteurs et les plans du réseau.',
    'Deux fondateurs, une ingénieure et un data scientist.',
    (ARRAY['idea', 'prototype', 'pilot', 'market'])[1 + s.id %% 4],
    jsonb_build_object(%(first)s::text, true, %(second)s::text, (s.id %% 3) <> 0),
    1, %(now)s - make_interval(secs => s.id %% 86400), '', 'Private notes: never exported.'
FROM unnest(%(startups)s::bigint[]) AS s(id) CROSS JOIN unnest(%(challenges)s::bigint[]) AS c(id)
"""

# A file per application, and one or two submitted versions.
FILES_SQL = """
INSERT INTO startups_attachment (application_id, question_id, file, name, content_type, size, sha256, uploaded_at)
SELECT a.id, %(file)s, 'applications/' || a.id || '/bench', 'présentation-' || a.id || '.pdf', 'application/pdf',
    250000 + a.id, repeat('0', 64), now()
FROM startups_application a WHERE a.challenge_id = ANY(%(challenges)s)
ORDER BY a.id
"""

VERSIONS_SQL = """
INSERT INTO startups_applicationversion (application_id, number, submitted_at, content)
SELECT a.id, n, now(), '{}'::jsonb FROM startups_application a CROSS JOIN generate_series(1, 2) AS n
WHERE a.challenge_id = ANY(%(challenges)s) AND (n = 1 OR a.id %% 2 = 0)
ORDER BY a.id, n
"""

ANALYZE_SQL = (
    "ANALYZE startups_startup, startups_application, startups_answer, startups_attachment, startups_applicationversion"
)

CLEAN_UP_SQL = (
    "DELETE FROM startups_answer WHERE application_id IN "
    "(SELECT id FROM startups_application WHERE challenge_id = ANY(%(challenges)s))",
    "DELETE FROM startups_attachment WHERE application_id IN "
    "(SELECT id FROM startups_application WHERE challenge_id = ANY(%(challenges)s))",
    "DELETE FROM startups_applicationversion WHERE application_id IN "
    "(SELECT id FROM startups_application WHERE challenge_id = ANY(%(challenges)s))",
    "DELETE FROM startups_application WHERE challenge_id = ANY(%(challenges)s)",
)

STARTUPS_SQL = """
INSERT INTO startups_startup (created_at, updated_at, name, slug, pitch, description, sector, website, city, logo)
SELECT now(), now(), 'Startup n°' || n, 'bench-export-' || %(run)s || '-' || n, 'Une startup de banc d''essai.', '',
    'water', '', 'Casablanca', ''
FROM generate_series(1, %(count)s) AS n
RETURNING id
"""


@dataclass
class BenchEdition:
    """A throwaway edition of `size` applications; `build` writes it, `clean_up` deletes every row it wrote."""

    run: str
    size: int
    program: Program | None = None
    challenge_ids: list[int] = field(default_factory=list)

    def build(self, startup_ids: list[int]) -> None:
        now = timezone.now()
        slug = f"bench-export-{self.run}-{self.size}"
        self.program = Program.objects.create(
            name=f"Bench export {self.size}",
            slug=slug,
            city="Casablanca",
            starts_on=timezone.localdate() - timedelta(days=30),
            ends_on=timezone.localdate() + timedelta(days=30),
        )
        partner = Partner.objects.create(name=f"Bench export partner {slug}", slug=slug, is_public=False)
        for number in range(CHALLENGES):
            challenge = Challenge.objects.create(
                program=self.program,
                owner=partner,
                title=f"Bench challenge {number}",
                slug=f"{slug}-{number}",
                problem_statement="Bench.",
                status=ChallengeStatus.DRAFT,
            )
            self.challenge_ids.append(challenge.pk)
        for order, (kind, label, choices) in enumerate(QUESTIONS):
            Question.objects.create(program=self.program, order=order, kind=kind, label=label, choices=choices)
        # One hidden (kept for its answers), one asked for the first challenge only: columns all the same.
        Question.objects.filter(program=self.program, order=1).update(hidden=True)
        Question.objects.filter(program=self.program, order=4).update(challenge_id=self.challenge_ids[0])
        conditions = [
            EligibilityCondition.objects.create(program=self.program, order=order, statement=statement).pk
            for order, statement in enumerate(("Immatriculée au Maroc", "Moins de 5 ans"))
        ]
        first, second = (str(pk) for pk in conditions)
        file_question = Question.objects.get(program=self.program, kind=QuestionKind.FILE).pk
        params: dict[str, Any] = {
            "now": now,
            "startups": startup_ids[: self.size // CHALLENGES],
            "challenges": self.challenge_ids,
            "program": self.program.pk,
            "first": first,
            "second": second,
            "file": file_question,
        }
        with transaction.atomic(), connection.cursor() as cursor:
            for sql in (APPLICATIONS_SQL, FILES_SQL):
                cursor.execute(sql, params)
            # Statistics of the rows just written (ANALYZE counts this transaction's own rows): with those of an
            # empty table, the planner joins the answers to the files by nested loops over 100,000 rows each.
            cursor.execute("ANALYZE startups_application, startups_attachment")
            for sql in (ANSWERS_SQL, VERSIONS_SQL):
                cursor.execute(sql, params)

    def clean_up(self) -> None:
        if self.program is None:
            return
        with transaction.atomic(), connection.cursor() as cursor:
            for sql in CLEAN_UP_SQL:
                cursor.execute(sql, {"challenges": self.challenge_ids})
        Question.objects.filter(program=self.program).delete()
        EligibilityCondition.objects.filter(program=self.program).delete()
        Challenge.objects.filter(program=self.program).delete()
        Partner.objects.filter(slug=self.program.slug).delete()
        self.program.delete()


def create_startups(run: str, count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(STARTUPS_SQL, {"run": run, "count": count})
        return sorted(row[0] for row in cursor.fetchall())


def stream(program: Program, *, traced: bool) -> tuple[int, float, int]:
    """Stream the export of `program` as a download would, into nothing: (bytes, seconds, peak of Python's memory
    while streaming, when `traced`)."""
    if traced:
        tracemalloc.start()
        tracemalloc.reset_peak()
    try:
        started = time.perf_counter()
        response = exports.csv_response(exports.Export(program=program, language=settings.LANGUAGE_CODE))
        size = sum(len(chunk) for chunk in response)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if traced else 0
    finally:
        if traced:
            tracemalloc.stop()
    return size, seconds, peak


class Command(BaseCommand):
    help = "Time the streamed CSV export of 10,000 and 100,000 applications, and its peak memory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", type=int, nargs=2, default=[10_000, 100_000], help="small and large edition")
        parser.add_argument("--report", help="append the figures to this bench report (default: $BENCH_REPORT)")

    def handle(self, *args: Any, sizes: list[int], report: str | None = None, **options: Any) -> None:
        report_file = benchreport.report_path(report)
        if settings.SETTINGS_MODULE.endswith(".production"):
            raise CommandError("bench_application_export writes 100,000 applications: never on production settings.")
        small, large = (size - size % CHALLENGES for size in sizes)
        run = uuid.uuid4().hex[:8]
        editions = [BenchEdition(run=run, size=small), BenchEdition(run=run, size=large)]
        results = []
        try:
            built = time.perf_counter()
            startup_ids = create_startups(run, large // CHALLENGES)
            for edition in editions:
                edition.build(startup_ids)
            with connection.cursor() as cursor:  # as autovacuum would have by the time staff export
                cursor.execute(ANALYZE_SQL)
            self.stdout.write(f"{small + large} applications written in {time.perf_counter() - built:.1f} s")
            programs = [edition.program for edition in editions if edition.program is not None]
            stream(programs[0], traced=False)  # warm-up: translations loaded, statements planned once
            for program in programs:
                rows = exports.applications_of(program).count()
                # The best of a few runs: the least disturbed by whatever else the machine runs meanwhile.
                timed = [stream(program, traced=False) for _run in range(TIMED_RUNS)]
                size, seconds, _peak = min(timed, key=lambda result: result[1])
                _size, _seconds, peak = stream(program, traced=True)
                results.append((rows, size, seconds, peak))
        finally:
            for edition in editions:
                edition.clean_up()
            with connection.cursor() as cursor:  # no membership, selection nor application left: plain SQL
                cursor.execute("DELETE FROM startups_startup WHERE slug LIKE %s", [f"bench-export-{run}-%"])

        (_rows, _size, _seconds, small_peak) = results[0]
        allowed_peak = small_peak + max(small_peak * MEMORY_MARGIN_RATIO, MEMORY_MARGIN_BYTES)
        self.stdout.write(
            f"{'applications':>12} {'MiB sent':>9} {'seconds':>8} {'rows/s':>9} {'peak MiB':>9}  "
            f"target (>= {TARGET_ROWS_PER_SECOND:.0f}/s, peak <= {allowed_peak / MIB:.2f} MiB)"
        )
        passed_all = True
        for rows, size, seconds, peak in results:
            rate = rows / seconds
            passed = rate >= TARGET_ROWS_PER_SECOND and peak <= allowed_peak
            passed_all &= passed
            benchreport.write_row(
                report_file,
                f"CSV export of {rows:,} applications: rate",
                rate,
                "rows/s",
                f">= {TARGET_ROWS_PER_SECOND:,.0f}",
                rate >= TARGET_ROWS_PER_SECOND,
                section="export",
            )
            benchreport.write_row(
                report_file,
                f"CSV export of {rows:,} applications: peak memory",
                round(peak / MIB, 2),
                "MiB",
                f"<= {allowed_peak / MIB:.2f}",
                peak <= allowed_peak,
                section="export",
            )
            self.stdout.write(
                f"{rows:>12} {size / MIB:>9.1f} {seconds:>8.2f} {rate:>9.0f} {peak / MIB:>9.2f}  "
                + (self.style.SUCCESS("PASS") if passed else self.style.ERROR("FAIL"))
            )
        if not passed_all:
            raise CommandError("the applications' export missed a target")
        self.stdout.write(self.style.SUCCESS("the applications' export is within its targets"))
