"""The deliverables of an experiment: a selected startup submits versions for each milestone of its edition (text,
links, a demo video, files checked like an application's attachments); the sponsoring partner and staff comment,
approve (the deliverable is then frozen) or send it back; the clock reminds the startup of what is due or late.
The audited, notified writes, and the read the experiment's page shows."""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from challenges.models import Milestone
from datacity.audit.services import Refused, audited_transaction, record
from datacity.core.uploads import FileType, check_upload, clean_filename
from datacity.notifications.services import notify
from partners.models import PartnerMembership

from .models import (
    Deliverable,
    DeliverableComment,
    DeliverableFile,
    DeliverableStatus,
    DeliverableVersion,
    Selection,
    StartupMembership,
)
from .notices import DELIVERABLE_DUE, DELIVERABLE_REVIEWED, DELIVERABLE_SUBMITTED

# A version names at most this many links; a text (summary or comment) is at most this long.
LINKS_MAX = 10
URL_MAX = 2000
VIDEO_URL_MAX = 200  # the model's URLField
TEXT_MAX = 20_000
# The startup hears that a deliverable is due this long before its date, and that it is late once after it (up to
# `LATE_CATCH_UP` late, after the clock was down).
DUE_NOTICE = timedelta(days=3)
LATE_CATCH_UP = timedelta(days=7)

REVIEW_DECISIONS = {"approve": DeliverableStatus.APPROVED, "request_changes": DeliverableStatus.CHANGES_REQUESTED}


class DeliverableRefused(Refused):
    """A deliverable change refused by the rules; `details["reason_code"]` says which, `details["field"]` the input
    it is about, when one is (the page shows the message beside it)."""


def file_max_bytes() -> int:
    return int(getattr(settings, "DELIVERABLE_FILE_MAX_BYTES", settings.APPLICATION_FILE_MAX_BYTES))


def files_per_version() -> int:
    return int(getattr(settings, "DELIVERABLE_FILES_PER_VERSION", settings.APPLICATION_FILES_PER_QUESTION))


# --- Who takes part ----------------------------------------------------------------------------------------------


def _users(memberships: QuerySet) -> QuerySet:
    return get_user_model()._default_manager.filter(pk__in=memberships, is_active=True)


def _startup_members(selection: Selection) -> QuerySet:
    return _users(StartupMembership.objects.filter(startup_id=selection.startup_id).values("user"))


def _reviewers(selection: Selection) -> QuerySet:
    """Who hears of a submission: the sponsoring partner's members, and staff who may change selections."""
    sponsor = PartnerMembership.objects.filter(partner=selection.sponsor).values("user")
    permission = Permission.objects.filter(content_type__app_label="startups", codename="change_selection")
    staff = (
        get_user_model()
        ._default_manager.filter(
            Q(is_superuser=True) | Q(user_permissions__in=permission) | Q(groups__permissions__in=permission),
            is_staff=True,
        )
        .values("pk")
    )
    return get_user_model()._default_manager.filter(Q(pk__in=sponsor) | Q(pk__in=staff), is_active=True)


def is_startup_member(actor: Any, selection: Selection) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and (
        StartupMembership.objects.filter(startup_id=selection.startup_id, user=actor).exists()
    )


def is_reviewer(actor: Any, selection: Selection) -> bool:
    """A member of the sponsoring partner, or staff who may change selections: those who comment and decide."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if actor.is_staff and actor.has_perm("startups.change_selection"):
        return True
    sponsor = selection.sponsor_id
    return sponsor is not None and PartnerMembership.objects.filter(partner__pk=sponsor, user=actor).exists()


def _page_url(selection: Selection, milestone_id: int) -> str:
    return reverse("experiments:deliverables", kwargs={"pk": selection.pk}) + f"#milestone-{milestone_id}"


def _when(moment: datetime, zone: Any) -> str:
    return f"{timezone.localtime(moment, zone):%Y-%m-%d %H:%M} ({zone})"


# --- Checking what is sent ---------------------------------------------------------------------------------------


def _text(value: str | None, *, action: str, obj: Any, name: str, required_message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DeliverableRefused(required_message, action=action, obj=obj, reason_code=f"no_{name}", field=name)
    if len(text) > TEXT_MAX:
        raise DeliverableRefused(
            _("This text is %(length)d characters long; it may hold %(limit)d at most.")
            % {"length": len(text), "limit": TEXT_MAX},
            action=action,
            obj=obj,
            reason_code="too_long",
            field=name,
        )
    return text


def _is_web_address(value: str, *, limit: int) -> bool:
    if len(value) > limit:
        return False
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return False
    return True


def clean_links(links: Iterable[str] | None, *, action: str = "", obj: Any = None) -> list[str]:
    """The links, stripped, empty ones dropped: at most `LINKS_MAX`, each an http(s) address."""
    cleaned = [str(link).strip() for link in links or () if str(link).strip()]
    if len(cleaned) > LINKS_MAX:
        raise DeliverableRefused(
            ngettext(
                "A version may name %(limit)d link at most; you gave %(count)d.",
                "A version may name %(limit)d links at most; you gave %(count)d.",
                LINKS_MAX,
            )
            % {"limit": LINKS_MAX, "count": len(cleaned)},
            action=action,
            obj=obj,
            reason_code="links",
            field="links",
        )
    for link in cleaned:
        if not _is_web_address(link, limit=URL_MAX):
            raise DeliverableRefused(
                _("“%(link)s” is not a web address (http:// or https://).") % {"link": link[:200]},
                action=action,
                obj=obj,
                reason_code="links",
                field="links",
            )
    return cleaned


def _check_files(files: Sequence[UploadedFile], *, action: str, obj: Any) -> list[tuple[UploadedFile, FileType]]:
    """Every file within the size limit and of an accepted type, read from its bytes: one refused file refuses the
    version, before anything is stored."""
    if len(files) > files_per_version():
        raise DeliverableRefused(
            ngettext(
                "A version may hold %(limit)d file at most; you sent %(count)d.",
                "A version may hold %(limit)d files at most; you sent %(count)d.",
                files_per_version(),
            )
            % {"limit": files_per_version(), "count": len(files)},
            action=action,
            obj=obj,
            reason_code="files",
            field="files",
        )
    checked, errors = [], []
    for upload in files:
        try:
            checked.append((upload, check_upload(upload, max_bytes=file_max_bytes())))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise DeliverableRefused(
            " ".join([*errors, _("Nothing was submitted: send the version again without these files.")]),
            action=action,
            obj=obj,
            reason_code="files",
            field="files",
        )
    return checked


# --- Submitting, commenting, reviewing -----------------------------------------------------------------------------


@audited_transaction
def deliverable_submit(
    *,
    selection: Selection,
    milestone: Milestone,
    actor: Any,
    summary: str,
    links: Iterable[str] | None = None,
    video_url: str = "",
    files: Sequence[UploadedFile] = (),
) -> DeliverableVersion:
    """A member of the selected startup submits a new version of its deliverable for `milestone` (the deliverable
    is started with the first one); the deliverable is submitted again for review, and the sponsoring partner's
    members and staff hear of it. An approved deliverable is frozen."""
    action = "experiment.deliverable_refused"
    if not is_startup_member(actor, selection):
        raise DeliverableRefused(
            _("Only the startup's members may submit its deliverables."),
            action=action,
            obj=selection,
            reason_code="not_member",
        )
    if milestone.program_id != selection.program_id:
        raise DeliverableRefused(
            _("This milestone belongs to another edition."), action=action, obj=selection, reason_code="milestone"
        )
    summary = _text(
        summary, action=action, obj=selection, name="summary", required_message=_("Say what this version delivers.")
    )
    links = clean_links(links, action=action, obj=selection)
    video_url = (video_url or "").strip()
    if video_url and not _is_web_address(video_url, limit=VIDEO_URL_MAX):
        raise DeliverableRefused(
            _("The demo video's address must be a web address (http:// or https://) of %(limit)d characters at most.")
            % {"limit": VIDEO_URL_MAX},
            action=action,
            obj=selection,
            reason_code="video_url",
            field="video_url",
        )
    checked = _check_files(list(files), action=action, obj=selection)

    deliverable, _created = Deliverable.objects.get_or_create(selection=selection, milestone=milestone)
    # Lock it: two submissions at once cannot take the same number, nor one slip past an approval.
    deliverable = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
    if deliverable.status == DeliverableStatus.APPROVED:
        raise DeliverableRefused(
            _("This deliverable is approved: it can no longer change."),
            action=action,
            obj=deliverable,
            reason_code="approved",
        )
    number = (deliverable.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    version = DeliverableVersion.objects.create(
        deliverable=deliverable,
        number=number,
        summary=summary,
        links=links,
        video_url=video_url,
        submitted_by=actor,
    )
    stored = []
    for upload, kind in checked:
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        row = DeliverableFile(
            version=version,
            name=clean_filename(upload.name),
            content_type=kind.mime,
            size=upload.size or 0,
            sha256=digest.hexdigest(),
        )
        row.file.save(row.name, upload, save=False)
        row.save()
        stored.append({"name": row.name, "size": row.size, "sha256": row.sha256})
    deliverable.status = DeliverableStatus.SUBMITTED
    deliverable.save(update_fields=["status", "updated_at"])
    record(
        action="experiment.deliverable_submitted",
        actor=actor,
        obj=deliverable,
        version=number,
        links=links,
        video_url=video_url,
        files=stored,
    )
    notify(
        kind=DELIVERABLE_SUBMITTED,
        recipients=_reviewers(selection),
        obj=deliverable,
        key=f"submitted-{version.pk}",
        url=_page_url(selection, milestone.pk),
        context={"number": number},
    )
    return version


def _locked(deliverable: Deliverable) -> Deliverable:
    return (
        Deliverable.objects.select_for_update(of=("self",))
        .select_related("selection__startup", "milestone")
        .get(pk=deliverable.pk)
    )


def _latest(deliverable: Deliverable) -> DeliverableVersion | None:
    return deliverable.versions.order_by("-number").first()


@audited_transaction
def deliverable_comment(
    *, deliverable: Deliverable, actor: Any, text: str, version: DeliverableVersion | None = None
) -> DeliverableComment:
    """A comment on a deliverable (on one of its versions, the latest by default), by the startup's members, the
    sponsoring partner's or staff. The startup hears of the comments of others."""
    action = "experiment.deliverable_comment_refused"
    deliverable = _locked(deliverable)
    selection = deliverable.selection
    member = is_startup_member(actor, selection)
    if not member and not is_reviewer(actor, selection):
        raise DeliverableRefused(
            _("Only the startup, its sponsoring partner and the program team may comment."),
            action=action,
            obj=deliverable,
            reason_code="not_allowed",
        )
    text = _text(text, action=action, obj=deliverable, name="text", required_message=_("Write a comment."))
    if version is not None and version.deliverable_id != deliverable.pk:
        raise DeliverableRefused(
            _("This version is not one of this deliverable's."), action=action, obj=deliverable, reason_code="version"
        )
    version = version or _latest(deliverable)
    comment = DeliverableComment.objects.create(deliverable=deliverable, version=version, author=actor, text=text)
    record(
        action="experiment.deliverable_commented",
        actor=actor,
        obj=deliverable,
        version=version.number if version else None,
        text=text,
    )
    if not member:
        _announce_review(deliverable, event="commented", key=f"comment-{comment.pk}", text=text)
    return comment


def _announce_review(deliverable: Deliverable, *, event: str, key: str, text: str) -> int:
    return notify(
        kind=DELIVERABLE_REVIEWED,
        recipients=_startup_members(deliverable.selection),
        obj=deliverable,
        key=key,
        url=_page_url(deliverable.selection, deliverable.milestone_id),
        context={"event": event, "text": text},
    )


@audited_transaction
def deliverable_review(*, deliverable: Deliverable, actor: Any, decision: str, text: str = "") -> Deliverable:
    """The sponsoring partner's member or staff approves the deliverable (it is then frozen) or asks for changes
    (with what to change); the startup's members hear of it."""
    action = "experiment.deliverable_review_refused"
    deliverable = _locked(deliverable)
    if not is_reviewer(actor, deliverable.selection):
        raise DeliverableRefused(
            _("Only the sponsoring partner and the program team may review a deliverable."),
            action=action,
            obj=deliverable,
            reason_code="not_reviewer",
        )
    status = REVIEW_DECISIONS.get(decision)
    if status is None:
        raise DeliverableRefused(
            _("Choose to approve the deliverable or to ask for changes."),
            action=action,
            obj=deliverable,
            reason_code="decision",
        )
    if deliverable.status == DeliverableStatus.APPROVED:
        raise DeliverableRefused(
            _("This deliverable is approved: it can no longer change."),
            action=action,
            obj=deliverable,
            reason_code="approved",
        )
    text = (text or "").strip()
    if status == DeliverableStatus.CHANGES_REQUESTED or text:
        text = _text(
            text, action=action, obj=deliverable, name="text", required_message=_("Say what the startup should change.")
        )
    latest = _latest(deliverable)
    if text:
        DeliverableComment.objects.create(deliverable=deliverable, version=latest, author=actor, text=text)
    deliverable.status = status
    deliverable.save(update_fields=["status", "updated_at"])
    number = latest.number if latest else 0
    record(action=f"experiment.deliverable_{status}", actor=actor, obj=deliverable, version=number, text=text)
    _announce_review(deliverable, event=status, key=f"{status}-{deliverable.pk}-v{number}", text=text)
    return deliverable


# --- The clock ---------------------------------------------------------------------------------------------------


def _announce_due(milestone: Milestone, selection: Selection, event: str) -> int:
    """The startup team hears that its deliverable for `milestone` is due soon ("due") or late ("late"). The key
    holds the due date: a milestone moved after a notice gets the notices of its new date in turn."""
    zone = milestone.program.time_zone
    return notify(
        kind=DELIVERABLE_DUE,
        recipients=_startup_members(selection),
        obj=milestone,
        key=f"{event}-{milestone.pk}-{selection.pk}-{milestone.due_at:%Y%m%d%H%M%S}",
        url=_page_url(selection, milestone.pk),
        context={"event": event, "due_at": _when(milestone.due_at, zone), "startup": selection.startup.name},
    )


def deliverables_due_notices(*, now: datetime | None = None) -> int:
    """Run by the clock: each selected startup hears once that a deliverable is due within `DUE_NOTICE`, and once
    that it is late (up to `LATE_CATCH_UP` after its date, after downtime), while it has delivered nothing for the
    milestone. Idempotent: the outbox keeps one notice per key and person. Returns the notices written."""
    now = now or timezone.now()
    milestones = Milestone.objects.select_related("program")
    written = 0
    for event, due in (
        ("due", Q(due_at__gt=now, due_at__lte=now + DUE_NOTICE)),
        ("late", Q(due_at__lte=now, due_at__gt=now - LATE_CATCH_UP)),
    ):
        for milestone in milestones.filter(due):
            delivered = Deliverable.objects.filter(selection=OuterRef("pk"), milestone=milestone)
            waiting = (
                Selection.objects.filter(program_id=milestone.program_id)
                .exclude(Exists(delivered))
                .select_related("startup")
            )
            for selection in waiting:
                written += _announce_due(milestone, selection, event)
    return written


# --- Reads -------------------------------------------------------------------------------------------------------


@dataclass
class MilestoneRow:
    """One milestone of the experiment as its page shows it: the deliverable if any, its versions newest first (with
    their files and comments), and whether it is late."""

    milestone: Milestone
    deliverable: Deliverable | None
    versions: list[DeliverableVersion] = field(default_factory=list)
    comments: list[DeliverableComment] = field(default_factory=list)
    late: bool = False

    @property
    def latest(self) -> DeliverableVersion | None:
        return self.versions[0] if self.versions else None

    @property
    def approved(self) -> bool:
        return self.deliverable is not None and self.deliverable.status == DeliverableStatus.APPROVED


def deliverable_rows(selection: Selection, now: datetime | None = None) -> list[MilestoneRow]:
    """Per milestone of the selection's edition, by due date: its deliverable, versions, comments and late flag
    (the date passed with nothing delivered, or the first version sent after it). A fixed number of queries."""
    now = now or timezone.now()
    milestones = Milestone.objects.filter(program_id=selection.program_id).order_by("due_at", "pk")
    versions = DeliverableVersion.objects.select_related("submitted_by").prefetch_related("files").order_by("-number")
    comments = DeliverableComment.objects.select_related("author", "version").order_by("created_at", "pk")
    deliverables = {
        deliverable.milestone_id: deliverable
        for deliverable in Deliverable.objects.filter(selection=selection).prefetch_related(
            Prefetch("versions", queryset=versions), Prefetch("comments", queryset=comments)
        )
    }
    rows = []
    for milestone in milestones:
        deliverable = deliverables.get(milestone.pk)
        row = MilestoneRow(milestone=milestone, deliverable=deliverable)
        if deliverable is not None:
            row.versions = list(deliverable.versions.all())
            row.comments = list(deliverable.comments.all())
        first = row.versions[-1] if row.versions else None
        row.late = first.submitted_at > milestone.due_at if first else milestone.due_at < now
        rows.append(row)
    return rows
