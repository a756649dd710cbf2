"""A dataset's files: each upload a new, immutable version (hashed, typed from its bytes, stored through Django's
storage API), the upload handler that cuts an oversized file, and the previews of CSV and GeoJSON versions."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import transaction
from django.db.models import Max
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from datacity.audit.services import record
from datacity.core.uploads import CSV, DATASET_FILES, GEOJSON, check_upload, clean_filename, sniff_dataset

from .models import Dataset, Distribution

logger = logging.getLogger(__name__)

HASH_CHUNK_BYTES = 1024 * 1024
# What a preview reads of a file, at most: the first rows of a table; a map of a GeoJSON file no larger than this.
PREVIEW_BYTES = 256 * 1024
PREVIEW_ROWS = 20
PREVIEWABLE_FORMATS = frozenset({CSV.label, GEOJSON.label})


class SizeLimitUploadHandler(FileUploadHandler):
    """Counts a request's file bytes as they arrive and stops reading the request past `max_bytes`: a file larger
    than the limit is never spooled whole to disk. Installed first, for the upload view only; `exceeded` tells the
    view why the file is missing."""

    def __init__(self, max_bytes: int, request: Any = None) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.exceeded = True
            # The other handlers close (and delete) what they spooled; the rest of the body is not read.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def sha256_of(upload: Any) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks(HASH_CHUNK_BYTES):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def distribution_add(*, dataset: Dataset, upload: Any, change_note: str, actor: Any) -> Distribution:
    """A new version of `dataset`'s file: checked (size, type read from the bytes) before anything is stored,
    hashed, stored under a key of the server's, then numbered (previous + 1, the dataset locked) and audited.
    The file is removed again if the row cannot be written."""
    kind = check_upload(upload, max_bytes=settings.DATASET_FILE_MAX_BYTES, types=DATASET_FILES, sniffer=sniff_dataset)
    name = clean_filename(upload.name)
    distribution = Distribution(
        dataset=dataset,
        name=name,
        format=kind.label,
        media_type=kind.mime,
        size=upload.size,
        sha256=sha256_of(upload),
        change_note=change_note.strip(),
        uploaded_by=actor,
    )
    # Stored before the lock is taken: a long transfer to S3 never holds the dataset's row.
    distribution.file.save(name, upload, save=False)
    try:
        with transaction.atomic():
            Dataset.objects.select_for_update().filter(pk=dataset.pk).get()
            latest = dataset.distributions.aggregate(latest=Max("version"))["latest"] or 0
            distribution.version = latest + 1
            distribution.full_clean(exclude=["file", "uploaded_by"])  # a system upload (the demo) has no actor
            distribution.save()
            record(
                action="distribution.added",
                actor=actor,
                obj=distribution,
                dataset=dataset.slug,
                version=distribution.version,
                format=distribution.format,
                size=distribution.size,
                sha256=distribution.sha256,
            )
    except BaseException:
        distribution.file.delete(save=False)
        raise
    return distribution


def read_head(distribution: Distribution, size: int) -> bytes:
    """The first `size` bytes of a stored version, never the whole file: a ranged GET on S3 (django-storages would
    download the whole object on open), a plain read elsewhere."""
    storage = distribution.file.storage
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        key = storage._normalize_name(distribution.file.name)
        response = bucket.Object(key).get(Range=f"bytes=0-{size - 1}")
        return response["Body"].read(size)
    with distribution.file.open("rb") as stored:
        return stored.read(size)


@dataclass
class Preview:
    """What a preview page shows: the first rows of a table, a GeoJSON document for the map, or why there is none."""

    kind: str = ""  # "table", "map" or "" (no preview)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    geojson: Any = None
    reason: Promise | str = ""


def preview(distribution: Distribution) -> Preview:
    if distribution.format not in PREVIEWABLE_FORMATS:
        return Preview(reason=_("Only CSV and GeoJSON files have a preview."))
    if distribution.format == GEOJSON.label and distribution.size > PREVIEW_BYTES:
        return Preview(reason=_("The file is too large to be drawn here: download it to see it."))
    try:
        head = read_head(distribution, PREVIEW_BYTES)
    except Exception:  # a missing or unreachable file makes a page without a preview, never a 500
        logger.exception("cannot read the head of %s", distribution.file.name)
        return Preview(reason=_("The file cannot be read at the moment."))
    if distribution.format == CSV.label:
        return csv_preview(head, whole=distribution.size <= PREVIEW_BYTES)
    return geojson_preview(head)


def csv_preview(head: bytes, *, whole: bool) -> Preview:
    if not whole:
        # The head ends inside a row (perhaps inside a character): keep the complete lines.
        head = head[: head.rfind(b"\n") + 1]
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Preview(reason=_("The file is not encoded in UTF-8: no preview is available."))
    if not text.strip():
        return Preview(reason=_("The file has no complete row to show."))
    try:
        dialect = csv.Sniffer().sniff(text[:16384], delimiters=",;\t|")
        dialect.strict = True
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        rows = [row for _index, row in zip(range(PREVIEW_ROWS + 1), reader, strict=False)]
    except csv.Error as error:
        return Preview(reason=_("The file cannot be read as a table: %(error)s") % {"error": error})
    if not rows:
        return Preview(reason=_("The file has no complete row to show."))
    width = len(rows[0])
    body = [row + [""] * (width - len(row)) for row in rows[1:]]
    return Preview(kind="table", header=rows[0], rows=body)


GEOJSON_TYPES = {
    "FeatureCollection",
    "Feature",
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
}


def geojson_preview(content: bytes) -> Preview:
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return Preview(reason=_("The file is not valid GeoJSON: no preview is available."))
    if not isinstance(document, dict) or document.get("type") not in GEOJSON_TYPES:
        return Preview(reason=_("The file is not valid GeoJSON: no preview is available."))
    if document["type"] == "FeatureCollection" and not isinstance(document.get("features"), list):
        return Preview(reason=_("The file is not valid GeoJSON: no preview is available."))
    return Preview(kind="map", geojson=document)
