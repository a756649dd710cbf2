"""An experiment's deliverables: versions submitted by the startup (files checked before storage), frozen once
approved; comments and decisions of the sponsoring partner and staff; the late flag; the due and late notices; the
page and its files, to those who follow the experiment only, at a constant number of queries."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from challenges.models import Milestone, MilestoneKind
from datacity.notifications.models import Notification
from startups import deliverables
from startups.models import Deliverable, DeliverableFile, DeliverableStatus, DeliverableVersion
from tests.factories import (
    PartnerMembershipFactory,
    SelectionFactory,
    StartupMembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="report.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def stored_keys(folder="deliverables") -> set[str]:
    if not default_storage.exists(folder):
        return set()
    folders, files = default_storage.listdir(folder)
    return {f"{folder}/{name}" for name in files}.union(*(stored_keys(f"{folder}/{sub}") for sub in folders))


class World:
    def __init__(self):
        self.selection = SelectionFactory.create()
        self.member = StartupMembershipFactory.create(startup=self.selection.startup).user
        self.partner = PartnerMembershipFactory.create(partner=self.selection.sponsor).user
        other = SelectionFactory.create(program=self.selection.program)
        self.other_member = StartupMembershipFactory.create(startup=other.startup).user
        self.other_partner = PartnerMembershipFactory.create(partner=other.sponsor).user
        self.staff = UserFactory.create(is_staff=True)
        self.staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_selection", "change_selection"]))
        self.milestone = milestone(self.selection, days=10)


def milestone(selection, *, days, kind=MilestoneKind.KICKOFF, title="Kickoff"):
    return Milestone.objects.create(
        program=selection.program, kind=kind, title=title, due_at=timezone.now() + timedelta(days=days)
    )


@pytest.fixture
def world():
    return World()


def submit(world, *, actor=None, milestone=None, summary="First prototype", links=(), video_url="", files=()):
    return deliverables.deliverable_submit(
        selection=world.selection,
        milestone=milestone or world.milestone,
        actor=actor or world.member,
        summary=summary,
        links=list(links),
        video_url=video_url,
        files=list(files),
    )


def page_url(world):
    return reverse("experiments:deliverables", kwargs={"pk": world.selection.pk})


# --- Services --------------------------------------------------------------------------------------------------------


def test_a_submission_makes_a_version_and_tells_the_sponsor_and_staff(world):
    version = submit(world, links=["https://example.org/demo"], video_url="https://video.example.org/1", files=[pdf()])

    assert version.number == 1
    assert version.deliverable.status == DeliverableStatus.SUBMITTED
    stored = DeliverableFile.objects.get(version=version)
    assert stored.name == "report.pdf"
    assert stored.file.name.startswith(f"deliverables/{version.deliverable_id}/")
    assert len(stored.sha256) == 64
    told = set(Notification.objects.filter(kind="experiment.deliverable_submitted").values_list("recipient", flat=True))
    assert told == {world.partner.pk, world.staff.pk}


def test_a_new_version_after_changes_requested_then_approval_freezes(world):
    first = submit(world)
    deliverables.deliverable_review(
        deliverable=first.deliverable, actor=world.partner, decision="request_changes", text="Add the measures."
    )
    first.deliverable.refresh_from_db()
    assert first.deliverable.status == DeliverableStatus.CHANGES_REQUESTED
    second = submit(world, summary="With the measures")
    assert second.number == 2
    second.deliverable.refresh_from_db()
    assert second.deliverable.status == DeliverableStatus.SUBMITTED

    deliverables.deliverable_review(deliverable=second.deliverable, actor=world.staff, decision="approve", text="")
    with pytest.raises(deliverables.DeliverableRefused) as refused:
        submit(world, summary="Third")
    assert refused.value.details["reason_code"] == "approved"
    assert DeliverableVersion.objects.count() == 2
    assert Notification.objects.filter(kind="experiment.deliverable_reviewed", recipient=world.member).count() == 2


def test_only_the_startup_submits(world):
    for outsider in (world.other_member, world.partner, world.staff):
        with pytest.raises(deliverables.DeliverableRefused) as refused:
            submit(world, actor=outsider)
        assert refused.value.details["reason_code"] == "not_member"
    assert not Deliverable.objects.exists()


@pytest.mark.parametrize(
    ("content", "limit"),
    [(b"MZ\x90\x00" + b"\x00" * 300, 10_000), (PDF + b" " * 500, len(PDF))],
    ids=["executable named .pdf", "over the limit"],
)
def test_a_refused_file_refuses_the_version_and_nothing_is_stored(world, settings, content, limit):
    settings.DELIVERABLE_FILE_MAX_BYTES = limit
    before = stored_keys()
    with pytest.raises(deliverables.DeliverableRefused) as refused:
        submit(world, files=[pdf("good.pdf"), pdf("bad.pdf", content)])

    assert refused.value.details["reason_code"] == "files"
    assert "bad.pdf" in str(refused.value)
    assert not Deliverable.objects.exists()
    assert not DeliverableVersion.objects.exists()
    assert not DeliverableFile.objects.exists()
    assert stored_keys() == before


@pytest.mark.parametrize(
    "links",
    [["javascript:alert(1)"], ["ftp://example.org/x"], ["not a link"], [f"https://example.org/{n}" for n in range(11)]],
    ids=["javascript", "ftp", "text", "eleven"],
)
def test_bad_links_are_refused(world, links):
    with pytest.raises(deliverables.DeliverableRefused) as refused:
        submit(world, links=links)
    assert refused.value.details["reason_code"] == "links"
    assert not Deliverable.objects.exists()


def test_a_bad_video_address_is_refused(world):
    with pytest.raises(deliverables.DeliverableRefused) as refused:
        submit(world, video_url="javascript:alert(1)")
    assert refused.value.details["reason_code"] == "video_url"


def test_comments_by_the_partner_staff_and_startup_and_not_others(world):
    deliverable = submit(world).deliverable
    deliverables.deliverable_comment(deliverable=deliverable, actor=world.partner, text="Looks good.")
    deliverables.deliverable_comment(deliverable=deliverable, actor=world.staff, text="Agreed.")
    deliverables.deliverable_comment(deliverable=deliverable, actor=world.member, text="Thanks.")
    assert deliverable.comments.count() == 3
    assert Notification.objects.filter(kind="experiment.deliverable_reviewed", recipient=world.member).count() == 2
    for outsider in (world.other_member, world.other_partner):
        with pytest.raises(deliverables.DeliverableRefused) as refused:
            deliverables.deliverable_comment(deliverable=deliverable, actor=outsider, text="Hm.")
        assert refused.value.details["reason_code"] == "not_allowed"
    with pytest.raises(deliverables.DeliverableRefused) as refused:
        deliverables.deliverable_review(deliverable=deliverable, actor=world.member, decision="approve")
    assert refused.value.details["reason_code"] == "not_reviewer"


def test_the_late_flag(world):
    now = timezone.now()
    past = milestone(world.selection, days=-2, kind=MilestoneKind.MID_TERM, title="Mid-term")
    late_sent = milestone(world.selection, days=-1, kind=MilestoneKind.OTHER, title="Other")
    submit(world, milestone=late_sent)
    rows = {row.milestone.pk: row for row in deliverables.deliverable_rows(world.selection, now)}
    assert rows[past.pk].late
    assert rows[late_sent.pk].late
    assert not rows[world.milestone.pk].late
    on_time = submit(world)  # before its due date
    assert not deliverables.deliverable_rows(world.selection, now + timedelta(days=30))[-1].late
    assert on_time.number == 1


def test_due_and_late_notices_once_each_with_catch_up(world):
    now = timezone.now()
    world.milestone.due_at = now + timedelta(days=2)
    world.milestone.save()
    # Both startups of the edition (each with one member) have delivered nothing yet.
    assert deliverables.deliverables_due_notices(now=now) == 2
    assert deliverables.deliverables_due_notices(now=now) == 0
    # The clock was down: five days after the date, the late notice still goes, once.
    later = now + timedelta(days=7)
    assert deliverables.deliverables_due_notices(now=later) == 2
    assert deliverables.deliverables_due_notices(now=later) == 0
    assert deliverables.deliverables_due_notices(now=now + timedelta(days=10)) == 0
    mine = Notification.objects.filter(kind="experiment.deliverable_due", recipient=world.member)
    assert sorted(notice.context["event"] for notice in mine) == ["due", "late"]


def test_no_due_notice_once_delivered(world):
    world.milestone.due_at = timezone.now() + timedelta(days=1)
    world.milestone.save()
    submit(world)
    assert deliverables.deliverables_due_notices() == 1  # the other startup of the edition only
    assert not Notification.objects.filter(kind="experiment.deliverable_due", recipient=world.member).exists()


# --- Pages -----------------------------------------------------------------------------------------------------------


def test_the_page_and_file_are_hidden_from_others(client, world):
    stored = DeliverableFile.objects.get(version=submit(world, files=[pdf()]))
    file_url = reverse("experiments:deliverable_file", kwargs={"pk": world.selection.pk, "file": stored.pk})
    for insider in (world.member, world.partner, world.staff):
        client.force_login(insider)
        assert client.get(page_url(world)).status_code == 200
        response = client.get(file_url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
    for outsider in (world.other_member, world.other_partner, UserFactory.create()):
        client.force_login(outsider)
        assert client.get(page_url(world)).status_code == 404
        assert client.get(file_url).status_code == 404
    client.logout()
    assert client.get(page_url(world)).status_code == 302


def test_the_startup_submits_from_the_page_and_sees_its_errors(client, world):
    client.force_login(world.member)
    prefix = f"submit-{world.milestone.pk}"
    response = client.post(
        page_url(world),
        {
            "action": "submit",
            "milestone": world.milestone.pk,
            f"{prefix}-summary": "x" * 100_000,
            f"{prefix}-links": "https://ok.example.org\nnot a link",
            f"{prefix}-video_url": "",
        },
    )
    assert response.status_code == 400
    assert "x" * 50 in response.content.decode()
    response = client.post(
        page_url(world),
        {
            "action": "submit",
            "milestone": world.milestone.pk,
            f"{prefix}-summary": "Line one\nLine two",
            f"{prefix}-links": "https://ok.example.org\nnot a link",
        },
    )
    assert response.status_code == 400
    assert "not a link" in response.content.decode()
    response = client.post(
        page_url(world),
        {
            "action": "submit",
            "milestone": world.milestone.pk,
            f"{prefix}-summary": "Line one",
            f"{prefix}-attachments": [pdf("tool.pdf", b"MZ\x90\x00" + b"\x00" * 300)],
        },
    )
    assert response.status_code == 400
    assert "tool.pdf" in response.content.decode()
    assert not Deliverable.objects.exists()
    response = client.post(
        page_url(world),
        {
            "action": "submit",
            "milestone": world.milestone.pk,
            f"{prefix}-summary": "Line one",
            f"{prefix}-links": "https://ok.example.org\n\n",
            f"{prefix}-attachments": [pdf()],
        },
    )
    assert response.status_code == 302
    assert DeliverableVersion.objects.get().links == ["https://ok.example.org"]
    # Forms nobody may use here, and nonsense, are refused without error.
    for data in ({"action": "review", "milestone": world.milestone.pk}, {"action": "x"}, {"milestone": "abc"}):
        assert client.post(page_url(world), data).status_code == 400


def test_the_partner_reviews_from_the_page(client, world):
    submit(world)
    client.force_login(world.partner)
    prefix = f"review-{world.milestone.pk}"
    data = {"action": "review", "milestone": world.milestone.pk, f"{prefix}-decision": "request_changes"}
    assert client.post(page_url(world), data).status_code == 400
    data[f"{prefix}-text"] = "More measures, please."
    assert client.post(page_url(world), data).status_code == 302
    assert Deliverable.objects.get().status == DeliverableStatus.CHANGES_REQUESTED
    data = {"action": "submit", "milestone": world.milestone.pk, f"submit-{world.milestone.pk}-summary": "x"}
    assert client.post(page_url(world), data).status_code == 400  # a partner does not submit


def test_the_page_shows_the_zone_and_late_flag_as_text(client, world):
    milestone(world.selection, days=-1, kind=MilestoneKind.MID_TERM, title="Mid-term")
    client.force_login(world.member)
    content = client.get("/en" + page_url(world)).content.decode()
    assert str(world.selection.program.time_zone) in content
    assert "Late" in content


def test_the_page_makes_as_many_queries_with_one_or_three_milestones_and_versions(client, world):
    def grow(count):
        while Milestone.objects.filter(program=world.selection.program).count() < count:
            milestone(world.selection, days=20, kind=MilestoneKind.OTHER, title="More")
        for each in Milestone.objects.filter(program=world.selection.program):
            deliverable = Deliverable.objects.filter(selection=world.selection, milestone=each).first()
            while deliverable is None or deliverable.versions.count() < count:
                deliverable = submit(world, milestone=each, files=[pdf()]).deliverable
                deliverables.deliverable_comment(deliverable=deliverable, actor=world.partner, text="Noted.")

    client.force_login(world.partner)
    counts = []
    for count in (1, 3):
        grow(count)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page_url(world))
            assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
