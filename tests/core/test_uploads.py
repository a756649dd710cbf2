"""Uploaded files: the type comes from the bytes, the size is bounded, the name is cleaned, a download stays one."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from datacity.core import uploads

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def office_bytes(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")  # the sender's word, never trusted


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("deck.pdf", PDF_BYTES, uploads.PDF),
        ("photo.png", png_bytes(), uploads.PNG),
        ("plan.docx", office_bytes("word/document.xml"), uploads.DOCX),
        ("budget.xlsx", office_bytes("xl/workbook.xml"), uploads.XLSX),
        ("counts.csv", "station,montée\nAïn Diab,1200\n".encode(), uploads.CSV),
        ("notes.txt", "ملاحظات الفريق\n".encode(), uploads.TEXT),
        ("notes", b"plain words\n", uploads.TEXT),
    ],
)
def test_accepted_types_are_read_from_the_bytes(name, content, expected):
    assert uploads.check_upload(upload(name, content), max_bytes=10_000) == expected


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("deck.pdf", b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 200),  # a Windows program
        ("deck.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200),  # a Linux program
        ("deck.pdf", b"\x00\x01\x02\x03" * 100),  # unknown binary
        ("archive.pdf", office_bytes("payload.bin")),  # a zip that is no office document
    ],
)
def test_a_file_whose_bytes_are_not_an_accepted_type_is_refused_whatever_its_name(name, content):
    with pytest.raises(ValidationError) as refused:
        uploads.check_upload(upload(name, content), max_bytes=10_000)
    assert refused.value.code == "file_type"


def test_size_limits_and_empty_files():
    with pytest.raises(ValidationError) as too_large:
        uploads.check_upload(upload("deck.pdf", PDF_BYTES + b" " * 100), max_bytes=len(PDF_BYTES))
    assert too_large.value.code == "file_too_large"
    with pytest.raises(ValidationError) as empty:
        uploads.check_upload(upload("deck.pdf", b""), max_bytes=100)
    assert empty.value.code == "empty_file"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/pa\x1bss.pdf", "pass.pdf"),
        ("C:\\Users\\me\\deck.pdf", "deck.pdf"),
        ("evil\u202efdp.exe", "evilfdp.exe"),
        ("line\nbreak.pdf", "linebreak.pdf"),
        ("  many   spaces .pdf ", "many spaces .pdf"),
        ("...hidden.pdf", "hidden.pdf"),
        ("عرض الشركة.pdf", "عرض الشركة.pdf"),
    ],
)
def test_file_names_are_cleaned(name, expected):
    assert uploads.clean_filename(name) == expected


def test_a_long_name_keeps_its_extension_and_an_empty_one_gets_a_name():
    cleaned = uploads.clean_filename("a" * 400 + ".pdf")
    assert len(cleaned) == 150
    assert cleaned.endswith(".pdf")
    assert uploads.clean_filename("../..")
    assert "/" not in uploads.clean_filename("../..")


def test_help_texts_name_the_accepted_types():
    assert "PDF" in uploads.accepted_label()
    assert ".pdf" in uploads.accept_attribute().split(",")


def test_a_download_is_always_an_attachment_never_shown_in_the_page():
    class Stored:
        def open(self, mode):
            return ContentFile(b"<script>alert(1)</script>", name="x")

    response = uploads.download_response(Stored(), filename="../a\r\nb.html", content_type="text/plain")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "\n" not in response["Content-Disposition"]
    assert "/" not in response["Content-Disposition"].split("filename=")[1]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    stream = response.file_to_stream
    assert stream is not None
    stream.close()  # not response.close(): that signals the end of a request
