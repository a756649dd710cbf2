"""The open data files: each resource of the API, whole, as CSV and as JSON, streamed in chunks (never a whole table
in memory), with the documentation of its fields read from the same serializers.

A file holds what an anonymous visitor sees: open data is the same for everyone. The JSON is the API's objects in
one array; the CSV flattens them: a text in three languages becomes three columns (`title_fr`, `title_ar`,
`title_en`), a nested object its fields' columns (`startup_name`), a list of values one cell joined with " | ". Lists
of objects (an edition's phases, a dataset's files, an indicator's measurements) are in the JSON only; the CSV of
indicators and of files gives them a row each.
"""

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from drf_spectacular.drainage import get_override
from rest_framework import serializers as drf
from rest_framework.utils.encoders import JSONEncoder

from startups.exports import neutralise

from . import api, serializers

LANGUAGES = serializers.LANGUAGES
JOIN = " | "
CHUNK = 500
NUMBER = re.compile(r"-?\d+(\.\d+)?")


@dataclass(frozen=True)
class Resource:
    name: str  # the file's name: /open-data/<name>.csv, /open-data/<name>.json
    title: Promise
    description: Promise
    serializer: type[drf.Serializer]
    objects: Callable[[], QuerySet]  # what an anonymous visitor sees, with its joins
    api: str = ""  # the API endpoint listing the same objects (a URL name), if any
    # A file of a nested list (each result's indicators): the rows of one object, and what a row holds.
    rows: Callable[[Any], Iterator[dict[str, Any]]] | None = None
    row_serializer: type[drf.Serializer] | None = None

    @property
    def documented(self) -> type[drf.Serializer]:
        """What one entry of the file holds."""
        return self.row_serializer or self.serializer

    def items(self) -> Iterator[dict[str, Any]]:
        """Each object as the API gives it, read CHUNK rows at a time (prefetches included)."""
        for instance in self.objects().iterator(chunk_size=CHUNK):
            yield self.serializer(instance).data


def _indicator_rows(result: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for indicator in result["indicators"]:
        yield {"edition": result["edition"], "startup": result["startup"]["slug"], **indicator}


def _distribution_rows(dataset: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for distribution in dataset["distributions"]:
        yield {"dataset": dataset["slug"], **distribution}


class IndicatorRow(serializers.IndicatorSerializer):
    """An indicator in the indicators CSV, beside its edition and startup."""

    edition = drf.SlugField(help_text=_("The edition (its slug)."))
    startup = drf.SlugField(help_text=_("The startup (its slug)."))

    class Meta(serializers.IndicatorSerializer.Meta):
        fields = ["edition", "startup", *serializers.IndicatorSerializer.Meta.fields]


class DistributionRow(serializers.DistributionSerializer):
    """A file in the files CSV, beside its dataset."""

    dataset = drf.SlugField(help_text=_("The dataset (its slug)."))

    class Meta(serializers.DistributionSerializer.Meta):
        fields = ["dataset", *serializers.DistributionSerializer.Meta.fields]


def anonymous() -> AnonymousUser:
    return AnonymousUser()


RESOURCES = [
    Resource(
        "editions",
        _("Program editions"),
        _("Each edition, its dated phases and, once its results are published, its figures."),
        serializers.EditionSerializer,
        lambda: api.editions(anonymous()),
        "api:edition-list",
    ),
    Resource(
        "challenges",
        _("Challenges"),
        _("The urban problems the city and its partners posed, in each edition."),
        serializers.ChallengeSerializer,
        lambda: api.challenges(anonymous()),
        "api:challenge-list",
    ),
    Resource(
        "selections",
        _("Selected startups"),
        _("The startups selected in each edition, their challenge and sponsoring partner."),
        serializers.SelectionSerializer,
        api.selections,
        "api:selection-list",
    ),
    Resource(
        "results",
        _("Results"),
        _("Each startup selected in an edition whose results are published: its prototype, its outcome."),
        serializers.ResultSerializer,
        api.results,
        "api:result-list",
    ),
    Resource(
        "indicators",
        _("Indicators"),
        _("The indicators of those experiments against their baselines and targets (the JSON holds the measurements)."),
        serializers.ResultSerializer,
        api.results,
        "api:result-list",
        rows=_indicator_rows,
        row_serializer=IndicatorRow,
    ),
    Resource(
        "partnerships",
        _("Partnerships"),
        _("Contracts signed after the program that both parties agreed to publish."),
        serializers.PartnershipSerializer,
        api.partnerships,
        "api:partnership-list",
    ),
    Resource(
        "datasets",
        _("Data catalogue"),
        _("The metadata of every dataset the partners share (also in DCAT-AP at /datasets/catalog.jsonld)."),
        serializers.DatasetSerializer,
        lambda: api.datasets(anonymous()),
        "api:dataset-list",
    ),
    Resource(
        "files",
        _("Dataset files"),
        _("Every version of every dataset's files; download addresses for public datasets only."),
        serializers.DatasetSerializer,
        lambda: api.datasets(anonymous()),
        "api:dataset-list",
        rows=_distribution_rows,
        row_serializer=DistributionRow,
    ),
]
BY_NAME = {resource.name: resource for resource in RESOURCES}


# --- The fields, for the CSV header and the documentation --------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str  # in the JSON, dotted for nested objects: startup.name
    kind: Promise
    help: str
    columns: tuple[str, ...]  # in the CSV; none for a list of objects (JSON only)


KINDS: list[tuple[type, Promise]] = [
    (drf.BooleanField, _("true or false")),
    (drf.IntegerField, _("whole number")),
    (drf.DecimalField, _("decimal number (a dot before the decimals)")),
    (drf.DateTimeField, _("date and time (ISO 8601, with its offset)")),
    (drf.DateField, _("date (YYYY-MM-DD)")),
    (drf.URLField, _("web address")),
    (drf.ChoiceField, _("code")),
    (drf.ListField, _("list of values")),
]


def _annotation(field: drf.Field) -> Any:
    """What an API method field is declared as in the OpenAPI description (extend_schema_field), else the field."""
    if isinstance(field, drf.SerializerMethodField):
        return get_override(getattr(field.parent, field.method_name, None), "field", field)
    if isinstance(field, serializers.TranslatedField):
        return serializers.Texts()
    return field


def fields_of(serializer: drf.Serializer, prefix: str = "") -> Iterator[Field]:
    """Each field of `serializer`, nested ones after their object, with its CSV columns (none inside a list of
    objects, which is in the JSON only)."""
    in_csv = "[]" not in prefix
    for name, field in serializer.fields.items():
        declared = _annotation(field)
        dotted = f"{prefix}{name}"
        column = dotted.replace(".", "_")
        help_text = str(field.help_text or "")
        languages = tuple(f"{column}_{code}" for code in LANGUAGES) if in_csv else ()
        if isinstance(declared, serializers.Texts):
            yield Field(dotted, _("text in French, Arabic and English"), help_text, languages)
        elif isinstance(declared, drf.ListSerializer) and isinstance(declared.child, serializers.Texts):
            yield Field(dotted, _("list of texts in French, Arabic and English"), help_text, languages)
        elif isinstance(declared, drf.ListSerializer):
            yield Field(dotted, _("list of objects (JSON only)"), help_text, ())
            yield from fields_of(declared.child, f"{dotted}[].")
        elif isinstance(declared, drf.Serializer):
            yield Field(dotted, _("object"), help_text, ())
            yield from fields_of(declared, f"{dotted}.")
        else:
            kind = next((label for base, label in KINDS if isinstance(declared, base)), _("text"))
            yield Field(dotted, kind, help_text, (column,) if in_csv else ())


def columns(resource: Resource) -> list[str]:
    return [column for field in fields_of(resource.documented()) for column in field.columns]


# --- The files -----------------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text if NUMBER.fullmatch(text) else neutralise(text)


def _is_texts(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == set(LANGUAGES)


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in data.items():
        column = f"{prefix}{name}"
        if _is_texts(value):
            flat.update({f"{column}_{code}": _cell(value[code]) for code in LANGUAGES})
        elif isinstance(value, dict):
            flat.update(flatten(value, f"{column}_"))
        elif isinstance(value, list) and value and all(_is_texts(item) for item in value):
            flat.update({f"{column}_{code}": JOIN.join(item[code] for item in value) for code in LANGUAGES})
        elif isinstance(value, list):
            if all(not isinstance(item, dict | list) for item in value):
                flat[column] = JOIN.join(_cell(item) for item in value)
        else:
            flat[column] = _cell(value)
    return flat


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(resource: Resource) -> Iterator[str]:
    header = columns(resource)
    writer = csv.DictWriter(_Echo(), fieldnames=header, extrasaction="ignore", restval="")
    # A byte order mark, so a spreadsheet opens the UTF-8 (Arabic included) as UTF-8.
    yield "\ufeff" + writer.writeheader()
    batch: list[str] = []
    for item in resource.items():
        for row in resource.rows(item) if resource.rows else [item]:
            batch.append(writer.writerow(flatten(row)))
        if len(batch) >= CHUNK:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)


def json_chunks(resource: Resource) -> Iterator[str]:
    """A JSON array of the API's objects (for a resource of rows, the rows), written as they are read."""
    encoder = JSONEncoder(ensure_ascii=False)
    yield "["
    first = True
    for item in resource.items():
        for row in resource.rows(item) if resource.rows else [item]:
            yield ("" if first else ",\n") + encoder.encode(row)
            first = False
    yield "]\n"


def licence() -> dict[str, str]:
    return {"name": settings.OPEN_DATA_LICENCE_NAME, "url": settings.OPEN_DATA_LICENCE_URL}
