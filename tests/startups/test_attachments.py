"""Attachments of applications, through the services: checked before they are stored, stored under the server's
keys, kept as long as a submitted version names them, and dropped from storage when nothing does any longer."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from datacity.audit.models import AuditEntry
from startups import services
from startups.models import Application, Attachment, Question, QuestionKind
from tests.factories import ChallengeFactory, ProgramFactory, StartupMembershipFactory, open_call

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def call():
    program = ProgramFactory.create()
    phase = open_call(program)
    challenge = ChallengeFactory.create(program=program)
    deck = Question.objects.create(program=program, label="Pitch deck", kind=QuestionKind.FILE, required=True)
    return phase, challenge, deck


@pytest.fixture
def member():
    return StartupMembershipFactory.create()


def stored_keys(folder="applications") -> set[str]:
    if not default_storage.exists(folder):
        return set()
    folders, files = default_storage.listdir(folder)
    return {f"{folder}/{name}" for name in files}.union(*(stored_keys(f"{folder}/{sub}") for sub in folders))


def pdf(name="deck.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def stage(member, challenge, question, *files, now=None):
    return services.attachments_stage(
        startup=member.startup, challenge=challenge, uploads={question.pk: list(files)}, actor=member.user, now=now
    )


def test_a_file_is_stored_under_a_key_of_the_server_with_its_cleaned_name_and_digest(call, member):
    _phase, challenge, deck = call
    staged = stage(member, challenge, deck, pdf("../../etc/pa\x1bss.pdf"))

    attachment = Attachment.objects.get(pk=staged[deck.pk][0])
    assert attachment.name == "pass.pdf"
    assert "pass" not in attachment.file.name
    assert ".." not in attachment.file.name
    assert attachment.file.name.startswith(f"applications/{attachment.application_id}/")
    assert attachment.content_type == "application/pdf"
    assert len(attachment.sha256) == 64
    assert attachment.size == len(PDF)
    assert default_storage.exists(attachment.file.name)
    assert attachment.application.status == "draft"  # a draft was started to hold it
    assert AuditEntry.objects.filter(action="application.file_added").count() == 1


@pytest.mark.parametrize(
    ("content", "limit"),
    [(b"MZ\x90\x00" + b"\x00" * 300, 10_000), (PDF + b" " * 500, len(PDF))],
    ids=["executable named .pdf", "over the limit"],
)
def test_a_refused_file_refuses_the_batch_and_nothing_is_stored(call, member, settings, content, limit):
    _phase, challenge, deck = call
    settings.APPLICATION_FILE_MAX_BYTES = limit
    before = stored_keys()
    with pytest.raises(services.ApplicationInvalid) as refused:
        stage(member, challenge, deck, pdf("good.pdf"), pdf("bad.pdf", content))

    assert list(refused.value.errors) == [f"question-{deck.pk}"]
    assert not Attachment.objects.exists()
    assert not Application.objects.exists()
    assert stored_keys() == before


def test_nobody_stages_files_outside_the_call_or_the_startup(call, member):
    phase, challenge, deck = call
    with pytest.raises(services.ApplicationRefused) as late:
        stage(member, challenge, deck, pdf(), now=phase.ends_at)
    assert late.value.details["reason_code"] == "call_closed"

    outsider = StartupMembershipFactory.create()
    with pytest.raises(services.ApplicationRefused) as foreign:
        services.attachments_stage(
            startup=member.startup, challenge=challenge, uploads={deck.pk: [pdf()]}, actor=outsider.user
        )
    assert foreign.value.details["reason_code"] == "not_member"
    assert not Attachment.objects.exists()


def test_answers_name_only_the_applications_own_files(call, member):
    _phase, challenge, deck = call
    own = stage(member, challenge, deck, pdf())[deck.pk]
    other = StartupMembershipFactory.create()
    foreign = stage(other, challenge, deck, pdf())[deck.pk]

    application = services.application_save(
        startup=member.startup, challenge=challenge, actor=member.user, data={"answers": {deck.pk: own + foreign}}
    )
    assert application.answers.get(question=deck).value == own


def test_a_submitted_version_keeps_its_files_and_dropped_draft_files_leave_storage(
    call, member, django_capture_on_commit_callbacks
):
    _phase, challenge, deck = call
    first = stage(member, challenge, deck, pdf("v1.pdf"))[deck.pk]
    application = services.application_submit(
        startup=member.startup,
        challenge=challenge,
        actor=member.user,
        data={
            "solution": "S",
            "data_use": "D",
            "team": "T",
            "stage": "idea",
            "answers": {deck.pk: first},
        },
    )
    assert application.versions.get().content["files"][str(first[0])]["name"] == "v1.pdf"

    second = stage(member, challenge, deck, pdf("v2.pdf"))[deck.pk]
    stray = stage(member, challenge, deck, pdf("stray.pdf"))[deck.pk]
    Attachment.objects.filter(pk__in=stray).update(uploaded_at=timezone.now() - timedelta(hours=2))
    stray_key = Attachment.objects.get(pk=stray[0]).file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(
            startup=member.startup,
            challenge=challenge,
            actor=member.user,
            data={"answers": {deck.pk: second}},
            revision=application.revision,
        )

    kept = set(Attachment.objects.values_list("name", flat=True))
    assert kept == {"v1.pdf", "v2.pdf"}  # v1 is named by version 1, v2 by the answer; the stray one is gone
    assert not default_storage.exists(stray_key)
