"""`manage.py bench_report PATH` (`make bench`): the one table of every figure the bench commands wrote to PATH.

Exits non-zero when a figure missed its target, or when the report is empty (a bench that wrote nothing measured
nothing).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from datacity.demo import benchreport


class Command(BaseCommand):
    help = "Print the bench report's table; exit non-zero when a target is missed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the report written by the bench commands (JSON lines)")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        try:
            rows = benchreport.read_rows(path)
        except FileNotFoundError as error:
            raise CommandError(f"no bench report at {path}") from error
        if not rows:
            raise CommandError(f"the bench report {path} is empty")
        table, missed = benchreport.render(rows)
        self.stdout.write(table)
        if missed:
            raise CommandError(
                f"{len(missed)} target(s) missed: " + "; ".join(f"{row.section}: {row.name}" for row in missed)
            )
        self.stdout.write(self.style.SUCCESS(f"all {sum(row.ok is True for row in rows)} targets met"))
