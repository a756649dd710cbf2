"""The antivirus every upload passes when CLAMAV_URL is set, against a fake ClamAV daemon on loopback that speaks
clamd's INSTREAM protocol: infected files refused through the real pages with nothing stored and the refusal
audited, clean files stored, and every failure to check (daemon down, garbage, silence, stream limit) a refusal."""

from __future__ import annotations

import hashlib
import io
import socket
import socketserver
import struct
import threading
from dataclasses import dataclass, field

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from datacity.audit.models import AuditEntry
from datacity.core import antivirus
from datacity.core.storage import public_storage
from datasets.models import AccessLevel, Distribution
from partners.models import Partner, SitePhoto
from partners.services import site_create
from startups.models import Attachment, Deliverable, DeliverableFile
from tests.factories import DatasetFactory, PartnerMembershipFactory
from tests.startups.test_application_pages import call, edit_url, founders, started  # noqa: F401 - fixtures
from tests.startups.test_experiment_deliverables import World

pytestmark = pytest.mark.django_db

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Eicar-Test-Signature"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- A fake clamd ---------------------------------------------------------------------------------------------------


@dataclass
class Session:
    """What one connection sent: the command, then the length of each chunk and their bytes."""

    command: bytes = b""
    chunks: list[int] = field(default_factory=list)
    data: bytearray = field(default_factory=bytearray)
    ended: bool = False  # the zero-length chunk arrived


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        fake: FakeClamd = self.server.fake  # type: ignore[attr-defined]
        session = Session()
        fake.sessions.append(session)
        while not session.command.endswith((b"\0", b"\n")):
            byte = self.rfile.read(1)
            if not byte:
                return
            session.command += byte
        if session.command not in (b"zINSTREAM\0", b"nINSTREAM\n"):
            self.wfile.write(b"UNKNOWN COMMAND\0")
            return
        while True:
            header = self.rfile.read(4)
            if len(header) < 4:
                return
            (length,) = struct.unpack("!L", header)
            if length == 0:
                session.ended = True
                break
            chunk = self.rfile.read(length)
            session.chunks.append(len(chunk))
            session.data += chunk
            if fake.stream_max_length is not None and len(session.data) > fake.stream_max_length:
                # What clamd does past StreamMaxLength: it says so and closes, whatever is still coming.
                self.wfile.write(b"INSTREAM size limit exceeded. ERROR\0")
                return
        if fake.mode == "hang":
            fake.release.wait(30)
            return
        if fake.mode == "garbage":
            self.wfile.write(b"\x16\x03\x01 who are you?\0")
            return
        found = EICAR in session.data
        self.wfile.write(f"stream: {SIGNATURE} FOUND\0".encode() if found else b"stream: OK\0")


class FakeClamd:
    """A threaded server on 127.0.0.1 answering INSTREAM like clamd, recording what it received. `mode` is "scan"
    (EICAR found, else OK), "garbage" (an answer that is no verdict) or "hang" (no answer at all)."""

    def __init__(self) -> None:
        self.mode = "scan"
        self.stream_max_length: int | None = None
        self.sessions: list[Session] = []
        self.release = threading.Event()
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.fake = self  # type: ignore[attr-defined]
        self.url = f"tcp://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeClamd:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def clamd(settings):
    with FakeClamd() as fake:
        settings.CLAMAV_URL = fake.url
        settings.CLAMAV_TIMEOUT_SECONDS = 5
        settings.CLAMAV_SCAN_TIMEOUT_SECONDS = 5
        yield fake


def closed_port() -> int:
    """A loopback port nobody listens on: the daemon is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stored(folder: str, storage=None) -> set[str]:
    storage = storage or default_storage
    if not storage.exists(folder):
        return set()
    folders, files = storage.listdir(folder)
    return {f"{folder}/{name}" for name in files}.union(*(stored(f"{folder}/{sub}", storage) for sub in folders))


def codes(form, name: str) -> set[str]:
    return {error.code for error in form.errors.as_data().get(name, [])}


def assert_infected_audited(user, name: str, content: bytes) -> None:
    entry = AuditEntry.objects.get(action="upload.infected")
    assert entry.actor == user
    assert entry.details["signature"] == SIGNATURE
    assert entry.details["file"] == name
    assert entry.details["sha256"] == hashlib.sha256(content).hexdigest()


def png(extra: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (12, 99, 180)).save(buffer, format="PNG")
    return buffer.getvalue() + extra


# --- Application attachments ----------------------------------------------------------------------------------------


def post_attachment(client, call, founders, upload):  # noqa: F811 - the fixtures' values
    startup, first, _second = founders
    application = started(call, startup, first, client)
    data = {"revision": application.revision, "solution": "Typed text.", "action": "save"}
    return first, client.post(edit_url(application), {**data, f"question_{call.deck.pk}": upload})


def test_an_infected_attachment_is_refused_nothing_stored_and_audited(client, call, founders, clamd):  # noqa: F811
    content = b"Notes\n" + EICAR + b"\n"
    before = stored("applications")
    user, response = post_attachment(client, call, founders, SimpleUploadedFile("notes.txt", content))

    assert response.status_code == 400
    assert codes(response.context["form"], f"question_{call.deck.pk}") == {"infected"}
    assert SIGNATURE in response.content.decode()
    assert not Attachment.objects.exists()
    assert stored("applications") == before
    assert_infected_audited(user, "notes.txt", content)
    # The form and the service both check it: one scan, one audit entry.
    assert len(clamd.sessions) == 1


def test_a_clean_attachment_is_scanned_and_stored(client, call, founders, clamd):  # noqa: F811
    before = stored("applications")
    _user, response = post_attachment(client, call, founders, SimpleUploadedFile("deck.pdf", PDF))

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert stored("applications") - before == {attachment.file.name}
    assert [bytes(session.data) for session in clamd.sessions] == [PDF]
    assert not AuditEntry.objects.filter(action="upload.infected").exists()


def test_with_the_daemon_down_an_attachment_is_refused(client, call, founders, settings):  # noqa: F811
    settings.CLAMAV_URL = f"tcp://127.0.0.1:{closed_port()}"
    before = stored("applications")
    _user, response = post_attachment(client, call, founders, SimpleUploadedFile("deck.pdf", PDF))

    assert response.status_code == 400
    assert codes(response.context["form"], f"question_{call.deck.pk}") == {"antivirus_unavailable"}
    assert not Attachment.objects.exists()
    assert stored("applications") == before


def test_without_clamav_url_no_daemon_is_asked(client, call, founders, clamd, settings):  # noqa: F811
    settings.CLAMAV_URL = ""
    _user, response = post_attachment(client, call, founders, SimpleUploadedFile("notes.txt", EICAR))

    assert response.status_code == 302
    assert Attachment.objects.count() == 1
    assert clamd.sessions == []


# --- Deliverable files ----------------------------------------------------------------------------------------------


def post_deliverable(client, world: World, upload):
    client.force_login(world.member)
    prefix = f"submit-{world.milestone.pk}"
    return client.post(
        reverse("experiments:deliverables", kwargs={"pk": world.selection.pk}),
        {
            "action": "submit",
            "milestone": world.milestone.pk,
            f"{prefix}-summary": "First prototype",
            f"{prefix}-attachments": [upload],
        },
    )


def test_an_infected_deliverable_file_is_refused_nothing_stored_and_audited(client, clamd):
    world = World()
    before = stored("deliverables")
    response = post_deliverable(client, world, SimpleUploadedFile("report.txt", EICAR))

    assert response.status_code == 400
    assert SIGNATURE in response.content.decode()
    assert not Deliverable.objects.exists()
    assert not DeliverableFile.objects.exists()
    assert stored("deliverables") == before
    assert_infected_audited(world.member, "report.txt", EICAR)


def test_a_clean_deliverable_file_is_stored(client, clamd):
    world = World()
    before = stored("deliverables")
    response = post_deliverable(client, world, SimpleUploadedFile("report.pdf", PDF))

    assert response.status_code == 302
    stored_file = DeliverableFile.objects.get()
    assert stored("deliverables") - before == {stored_file.file.name}
    assert len(clamd.sessions) == 1


@pytest.mark.parametrize("mode", ["garbage", "hang"])
def test_a_daemon_answering_garbage_or_nothing_refuses_the_deliverable(client, clamd, settings, mode):
    clamd.mode = mode
    settings.CLAMAV_SCAN_TIMEOUT_SECONDS = 0.5
    world = World()
    before = stored("deliverables")
    response = post_deliverable(client, world, SimpleUploadedFile("report.pdf", PDF))

    assert response.status_code == 400
    [row] = response.context["rows"]
    assert codes(row.forms["submit"], "attachments") == {"antivirus_unavailable"}
    assert not DeliverableFile.objects.exists()
    assert stored("deliverables") == before
    assert clamd.sessions[0].ended


# --- Dataset file versions ------------------------------------------------------------------------------------------


@pytest.fixture
def dataset_member():
    member = PartnerMembershipFactory.create()
    return member, DatasetFactory.create(owner=member.partner, access_level=AccessLevel.RESTRICTED)


def post_version(client, dataset_member, name: str, content: bytes):
    member, dataset = dataset_member
    client.force_login(member.user)
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(reverse("datasets:upload", kwargs={"slug": dataset.slug}), {"change_note": "", "file": upload})


def test_an_infected_dataset_version_is_refused_nothing_stored_and_audited(client, clamd, dataset_member):
    member, _dataset = dataset_member
    before = stored("datasets")
    response = post_version(client, dataset_member, "readme.txt", EICAR)

    assert response.status_code == 400
    assert codes(response.context["form"], "file") == {"infected"}
    assert not Distribution.objects.exists()
    assert stored("datasets") == before
    assert_infected_audited(member.user, "readme.txt", EICAR)


def test_a_large_dataset_file_is_streamed_in_framed_chunks_and_stored(client, clamd, dataset_member):
    # Over FILE_UPLOAD_MAX_MEMORY_SIZE: Django spools it to disk, and it is read from there chunk by chunk.
    content = b"station;date;montees\n" + b"".join(b"Station %07d;2026-03-01;%d\n" % (n, n) for n in range(120_000))
    before = stored("datasets")
    response = post_version(client, dataset_member, "ridership.csv", content)

    assert response.status_code == 302
    distribution = Distribution.objects.get()
    assert stored("datasets") - before == {distribution.file.name}
    [session] = clamd.sessions
    assert session.command == b"zINSTREAM\0"
    assert session.ended
    assert bytes(session.data) == content
    assert len(session.chunks) == -(-len(content) // antivirus.CHUNK_BYTES) > 1
    assert max(session.chunks) == antivirus.CHUNK_BYTES


def test_a_file_over_the_daemons_stream_limit_is_refused(client, clamd, dataset_member):
    clamd.stream_max_length = antivirus.CHUNK_BYTES
    content = b"a;b\n" + b"1;2\n" * (antivirus.CHUNK_BYTES // 2)
    response = post_version(client, dataset_member, "big.csv", content)

    assert response.status_code == 400
    assert codes(response.context["form"], "file") == {"antivirus_too_large"}
    assert not Distribution.objects.exists()


# --- Site photos and logos ------------------------------------------------------------------------------------------


def test_an_infected_site_photo_and_logo_are_refused(client, clamd, settings):
    settings.STORAGES = {**settings.STORAGES, "public": {**settings.STORAGES["public"]}}  # a new, empty one
    owner = PartnerMembershipFactory.create(partner__slug="lydec", partner__name="Lydec", role="owner").user
    partner = Partner.objects.get(slug="lydec")
    site = site_create(
        partner=partner,
        actor=None,
        data={"name": "T1", "kind": "tram_line", "geometry": {"type": "Point", "coordinates": [-7.6, 33.5]}},
    )
    client.force_login(owner)
    infected = png(EICAR)

    photo = SimpleUploadedFile("tram.png", infected, content_type="image/png")
    response = client.post(f"/en/partners/lydec/sites/{site.slug}/photos/", {"image": photo, "caption": "Tram"})
    assert response.status_code == 400
    assert codes(response.context["form"], "image") == {"infected"}
    assert not SitePhoto.objects.exists()

    logo = SimpleUploadedFile("logo.png", infected, content_type="image/png")
    response = client.post("/en/partners/lydec/edit/", {"description_en": "Water.", "logo": logo})
    assert response.status_code == 400
    assert codes(response.context["form"], "logo") == {"infected"}
    partner.refresh_from_db()
    assert not partner.logo
    assert stored("", public_storage()) == set()
    assert AuditEntry.objects.filter(action="upload.infected", actor=owner).count() == 2

    logo = SimpleUploadedFile("logo.png", png(), content_type="image/png")
    response = client.post("/en/partners/lydec/edit/", {"description_en": "Water.", "logo": logo})
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.logo
