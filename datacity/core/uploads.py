"""Uploaded files people send (application attachments, later datasets): their type read from their bytes, their
size bounded, their name cleaned, and their download always a download.

A file's name and its declared content type are the sender's word; only the bytes decide. Executables, scripts and
anything unrecognised are refused before they reach storage, and so, when CLAMAV_URL is set, is any file ClamAV
finds a virus in or cannot check (fail closed).
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any
from uuid import uuid4

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from datacity.audit.services import record

from . import antivirus

logger = logging.getLogger(__name__)

HEAD_BYTES = 8192  # enough for every signature `filetype` reads, and to tell text from binary


@dataclass(frozen=True)
class FileType:
    label: str
    mime: str
    extensions: tuple[str, ...]


PDF = FileType("PDF", "application/pdf", (".pdf",))
PNG = FileType("PNG", "image/png", (".png",))
JPEG = FileType("JPEG", "image/jpeg", (".jpg", ".jpeg"))
GIF = FileType("GIF", "image/gif", (".gif",))
WEBP = FileType("WebP", "image/webp", (".webp",))
DOCX = FileType("Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
XLSX = FileType("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
PPTX = FileType("PowerPoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",))
DOC = FileType("Word 97", "application/msword", (".doc",))
XLS = FileType("Excel 97", "application/vnd.ms-excel", (".xls",))
PPT = FileType("PowerPoint 97", "application/vnd.ms-powerpoint", (".ppt",))
ODT = FileType("OpenDocument", "application/vnd.oasis.opendocument.text", (".odt",))
ODS = FileType("OpenDocument", "application/vnd.oasis.opendocument.spreadsheet", (".ods",))
ODP = FileType("OpenDocument", "application/vnd.oasis.opendocument.presentation", (".odp",))
CSV = FileType("CSV", "text/csv", (".csv",))
TEXT = FileType("Text", "text/plain", (".txt", ".md"))

# What an application may attach: documents a jury reads. Text types are recognised by their bytes being text.
DOCUMENTS: tuple[FileType, ...] = (PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, DOC, XLS, PPT, ODT, ODS, ODP, CSV, TEXT)
_BY_MIME = {kind.mime: kind for kind in DOCUMENTS}


def accepted_label(types: tuple[FileType, ...] = DOCUMENTS) -> str:
    """The accepted types, for a help text: "PDF, PNG, JPEG, …"."""
    return ", ".join(dict.fromkeys(kind.label for kind in types))


def accept_attribute(types: tuple[FileType, ...] = DOCUMENTS) -> str:
    """The accepted extensions, for an `<input type="file" accept>` (a hint to the browser, never a check)."""
    return ",".join(extension for kind in types for extension in kind.extensions)


def _head(upload: IO[bytes]) -> bytes:
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return head


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the end of the sample is still text.
        if error.start < len(head) - 3:
            return False
    printable = sum(1 for char in head.decode("utf-8", "ignore") if char.isprintable() or char in "\r\n\t")
    return printable >= 0.95 * max(1, len(head.decode("utf-8", "ignore")))


def sniff(upload: IO[bytes], *, name: str = "") -> FileType | None:
    """The type the file's bytes prove, among the known ones; None for anything else (executables included)."""
    head = _head(upload)
    guessed = filetype.guess(head)
    if guessed is not None:
        return _BY_MIME.get(guessed.mime)
    if head and _is_text(head):
        return CSV if name.lower().endswith(".csv") else TEXT
    return None


def check_upload(
    upload: Any,
    *,
    max_bytes: int,
    types: tuple[FileType, ...] = DOCUMENTS,
    sniffer: Callable[..., FileType | None] = sniff,
) -> FileType:
    """The upload's type, if it is within the size limit and of an accepted type; a clear ValidationError
    otherwise. Called before the file is stored, so a refused file never is."""
    if upload.size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": clean_filename(upload.name)}, code="empty_file")
    if upload.size > max_bytes:
        raise ValidationError(
            _("“%(name)s” is %(size)s; files are limited to %(limit)s.")
            % {
                "name": clean_filename(upload.name),
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(max_bytes),
            },
            code="file_too_large",
        )
    kind = sniffer(upload, name=upload.name or "")
    if kind is None or kind not in types:
        raise ValidationError(
            _("“%(name)s” is not a file of an accepted type (%(types)s), whatever its name says.")
            % {"name": clean_filename(upload.name), "types": accepted_label(types)},
            code="file_type",
        )
    check_antivirus(upload)
    return kind


# Where an upload keeps the verdict it had, so that the form's check and the service's check again make one scan and
# one audit entry.
_VERDICT = "_datacity_antivirus_verdict"


def check_antivirus(upload: Any) -> None:
    """When CLAMAV_URL is set, the upload's bytes streamed to ClamAV: a ValidationError if a virus is found (the
    refusal audited as `upload.infected`) or if the file could not be checked (the daemon unreachable, too slow,
    answering something unexpected, or the file over its stream limit): never accepted unchecked. No check when
    CLAMAV_URL is empty."""
    url = settings.CLAMAV_URL
    if not url:
        return
    name = clean_filename(upload.name)
    verdict = getattr(upload, _VERDICT, None)
    if verdict is None:
        try:
            verdict = antivirus.scan(
                upload,
                url=url,
                timeout=settings.CLAMAV_TIMEOUT_SECONDS,
                reply_timeout=settings.CLAMAV_SCAN_TIMEOUT_SECONDS,
            )
        except antivirus.TooLargeToScan:
            logger.error("antivirus refused %r as too large to scan (clamd's StreamMaxLength)", name, exc_info=True)
            raise ValidationError(
                _("“%(name)s” is too large for the antivirus to check, so it was not stored.") % {"name": name},
                code="antivirus_too_large",
            ) from None
        except antivirus.ScanFailed:
            logger.error("antivirus could not check %r", name, exc_info=True)
            raise ValidationError(
                _("“%(name)s” could not be checked for viruses, so it was not stored: try again later.")
                % {"name": name},
                code="antivirus_unavailable",
            ) from None
        setattr(upload, _VERDICT, verdict)
        if verdict.infected:
            logger.warning("antivirus found %s in %r (sha256 %s)", verdict.signature, name, verdict.sha256)
            record(
                action="upload.infected",
                signature=verdict.signature,
                file=name,
                sha256=verdict.sha256,
                size=verdict.size,
            )
    if verdict.infected:
        raise ValidationError(
            _("“%(name)s” contains a virus (%(signature)s) and was not stored.")
            % {"name": name, "signature": verdict.signature},
            code="infected",
        )


def storage_key(folder: str) -> str:
    """A new storage key under `folder`, made by the server: never the sender's file name, which is only shown back
    in a download's Content-Disposition."""
    return f"{folder}/{uuid4().hex}"


def clean_filename(name: str | None, *, limit: int = 150) -> str:
    """A file name safe to show and to put in a Content-Disposition: no folders, no control or direction
    characters, no leading dots, at most `limit` characters with its extension kept. Never used as a storage key."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    hidden = {"Cc", "Cf", "Zl", "Zp"}  # control, format (direction overrides), line and paragraph separators
    name = "".join(char for char in unicodedata.normalize("NFC", name) if unicodedata.category(char) not in hidden)
    name = " ".join(name.split()).lstrip(".").strip()
    if len(name) > limit:
        stem, dot, extension = name.rpartition(".")
        extension = extension[:10] if dot else ""
        name = f"{(stem if dot else name)[: limit - len(extension) - 1]}.{extension}" if extension else name[:limit]
    return name or _("file")


def download_response(fieldfile: Any, *, filename: str, content_type: str) -> FileResponse:
    """Serve a stored file as a download, never displayed in the page's origin: the sender's bytes cannot run as
    HTML or script there, whatever they are."""
    response = FileResponse(
        fieldfile.open("rb"), as_attachment=True, filename=clean_filename(filename), content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Dataset files ----------------------------------------------------------------------------------------------
# What a data partner publishes: tables, geodata, archives, documents. Read from the bytes like the rest.
GEOJSON = FileType("GeoJSON", "application/geo+json", (".geojson", ".json"))
JSON = FileType("JSON", "application/json", (".json",))
ZIP = FileType("ZIP", "application/zip", (".zip",))
PARQUET = FileType("Parquet", "application/vnd.apache.parquet", (".parquet",))
XLSX_DATA = FileType("XLSX", XLSX.mime, XLSX.extensions)
XLS_DATA = FileType("XLS", XLS.mime, XLS.extensions)
ODS_DATA = FileType("ODS", ODS.mime, ODS.extensions)
DATASET_FILES: tuple[FileType, ...] = (CSV, GEOJSON, JSON, XLSX_DATA, XLS_DATA, ODS_DATA, PDF, ZIP, PARQUET, TEXT)
_DATA_BY_MIME = {kind.mime: kind for kind in DATASET_FILES}
_GEOJSON_TYPE = re.compile(
    rb'"type"\s*:\s*"(FeatureCollection|Feature|Point|MultiPoint|LineString|MultiLineString|Polygon|MultiPolygon|'
    rb'GeometryCollection)"'
)


def _json_kind(head: bytes, *, whole: bool) -> FileType | None:
    """JSON (GeoJSON when its head names a GeoJSON type) if the whole file parses as JSON, or, for a file longer
    than its head, if the head is text opening an object or array; None otherwise."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text[:1] not in (b"{", b"["):
        return None
    if whole:
        try:
            json.loads(text)
        except ValueError:
            return None
    return GEOJSON if _GEOJSON_TYPE.search(text[:HEAD_BYTES]) else JSON


def sniff_dataset(upload: IO[bytes], *, name: str = "") -> FileType | None:
    """The type a dataset file's bytes prove, among DATASET_FILES; None for anything else."""
    head = _head(upload)
    if head[:4] == b"PAR1":
        return PARQUET
    guessed = filetype.guess(head)
    if guessed is not None:
        return _DATA_BY_MIME.get(guessed.mime)
    if not head or not (_is_text(head) or _is_legacy_text(head)):
        return None
    size = getattr(upload, "size", None)
    json_kind = _json_kind(head, whole=size is not None and size <= len(head))
    if json_kind is not None:
        return json_kind
    return CSV if name.lower().endswith((".csv", ".tsv")) or _looks_tabular(head) else TEXT


def _looks_tabular(head: bytes) -> bool:
    """Whether the first lines of a text file share one delimiter, the same number of times (a CSV without .csv)."""
    lines = head.decode("utf-8", "ignore").splitlines()[:10]
    if len(lines) < 2:
        return False
    return any(
        lines[0].count(delimiter) > 0 and all(line.count(delimiter) == lines[0].count(delimiter) for line in lines)
        for delimiter in ",;\t|"
    )


def _is_legacy_text(head: bytes) -> bool:
    """Text in a single-byte encoding (Windows-1252, Latin-1: many spreadsheet exports): accepted as a data file,
    shown without a preview."""
    if b"\x00" in head:
        return False
    text = head.decode("cp1252", "replace")
    printable = sum(1 for char in text if char.isprintable() or char in "\r\n\t")
    return printable >= 0.95 * len(text)
