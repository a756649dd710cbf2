"""The bench report: each `make bench` command appends its figures, one JSON line each; `bench_report` prints them.

A row is one figure: `{"section", "name", "value", "unit", "target", "ok"}`. `target` is the goal in words
(`">= 0.5 x minimal view"`, `"<= 100 MiB"`), `ok` is True or False when the figure has a target, None when it is
only informative (a query count shown beside a rate, a cache header). Commands find the file from their
`--report PATH` option or, when it is not given, from the `BENCH_REPORT` environment variable; with neither they
write nothing and only print their own table.
"""

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ENVIRONMENT_VARIABLE = "BENCH_REPORT"

# The order of the sections in the final table; a section not listed comes after them, in the order first written.
SECTIONS = ["pages (demo data)", "pages (100x data)", "surge", "notifications", "export", "upload", "lighthouse"]


@dataclass(frozen=True)
class Row:
    section: str
    name: str
    value: float | int | str | None
    unit: str = ""
    target: str = ""
    ok: bool | None = None


def report_path(option: str | Path | None = None) -> Path | None:
    """The report file: the command's `--report` value, else `$BENCH_REPORT`, else None (no report)."""
    value = option or os.environ.get(ENVIRONMENT_VARIABLE)
    return Path(value) if value else None


def write_row(
    path: str | Path | None,
    name: str,
    value: float | int | str | None,
    unit: str = "",
    target: str = "",
    ok: bool | None = None,
    *,
    section: str = "",
) -> None:
    """Append one figure to the report at `path` (nothing when `path` is None)."""
    if path is None:
        return
    row = Row(section=section, name=name, value=value, unit=unit, target=target, ok=ok)
    with Path(path).open("a", encoding="utf-8") as report:
        report.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


def read_rows(path: str | Path) -> list[Row]:
    """Every row of the report, in the order written; blank lines are ignored."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            data: dict[str, Any] = json.loads(line)
            rows.append(Row(**{field: data[field] for field in Row.__dataclass_fields__ if field in data}))
    return rows


def _format_value(value: float | int | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, (bool, str)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


def ordered(rows: list[Row]) -> list[Row]:
    """The rows grouped by section (known sections first, in `SECTIONS` order), each keeping its written order."""
    seen = [row.section for row in rows]
    order = {section: index for index, section in enumerate(SECTIONS)}
    for section in seen:
        order.setdefault(section, len(order))
    return sorted(rows, key=lambda row: order[row.section])  # sorted() is stable


def render(rows: list[Row]) -> tuple[str, list[Row]]:
    """The table as text, and the rows that missed their target."""
    name_width = max([len("figure"), *(len(row.name) for row in rows)])
    target_width = max([len("target"), *(len(row.target) for row in rows)])
    lines = [f"{'figure':<{name_width}} {'value':>12} {'unit':<10} {'target':<{target_width}}  result"]
    section = None
    for row in ordered(rows):
        if row.section != section:
            section = row.section
            lines.append(f"-- {section or 'other'}")
        result = {True: "PASS", False: "FAIL", None: ""}[row.ok]
        value = _format_value(row.value)
        lines.append(f"{row.name:<{name_width}} {value:>12} {row.unit:<10} {row.target:<{target_width}}  {result}")
    missed = [row for row in rows if row.ok is False]
    return "\n".join(lines), missed
