"""Writes on the startup side: creating and editing a startup, its selection in an edition, and its membership
(whose rules live in datacity.core.organisations)."""

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from challenges.models import Challenge, Phase, PhaseKind, Program
from datacity.audit.services import Refused, audited_transaction, record
from datacity.core.models import MembershipRole
from datacity.core.organisations import Space
from datacity.core.services import assign, audited_delete, audited_save
from datacity.core.uploads import FileType, check_upload, clean_filename
from datacity.notifications.services import notify

from . import notices
from .models import (
    APPLICANT_TRANSITIONS,
    STAFF_TRANSITIONS,
    Answer,
    Application,
    ApplicationStatus,
    ApplicationVersion,
    Attachment,
    Question,
    QuestionKind,
    Selection,
    Startup,
    StartupInvitation,
    StartupMembership,
)

STARTUP_SPACE = Space(
    name="startup",
    organisation_field="startup",
    membership_model=StartupMembership,
    invitation_model=StartupInvitation,
    accept_url_name="startups:invitation_accept",
)


def unique_slug(name: str) -> str:
    base = slugify(name)[:180] or "startup"
    slug, n = base, 1
    while Startup.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def startup_create(*, actor: Any, data: Mapping[str, Any]) -> Startup:
    """Create a startup from its profile fields, with `actor` as its first owner."""
    startup = Startup()
    assign(startup, data)
    startup.slug = startup.slug or unique_slug(startup.name)
    audited_save(instance=startup, actor=actor)
    StartupMembership.objects.create(startup=startup, user=actor, role=MembershipRole.OWNER)
    record(action="startup.member_added", actor=actor, obj=startup, member=actor.email, role=MembershipRole.OWNER)
    return startup


@transaction.atomic
def startup_update(*, startup: Startup, actor: Any, data: Mapping[str, Any]) -> Startup:
    """Change a startup's profile fields; the audit entry says which changed, from what, to what."""
    assign(startup, data)
    audited_save(instance=startup, actor=actor)
    return startup


@transaction.atomic
def selection_save(*, selection: Selection, actor: Any) -> Selection:
    """Select a startup in an edition (for a challenge, with a sponsor), or change that selection."""
    audited_save(instance=selection, actor=actor)
    return selection


@transaction.atomic
def selection_delete(*, selection: Selection, actor: Any) -> None:
    audited_delete(instance=selection, actor=actor)


# --- Applications ---------------------------------------------------------------------------------------------
# Whether the call is open is computed from its phase's dates at the moment of the request (never from what the
# clock recorded): a form loaded before the deadline and sent a second after it is refused, and nothing is saved.

COMMON_FIELDS = ("solution", "data_use", "team", "stage")


class ApplicationRefused(Refused):
    """An application change refused: the call is closed, another member saved first, the status forbids it..."""


class ApplicationInvalid(Refused):
    """A submission with missing or wrong answers: `errors` maps each field ("solution", "question-12",
    "eligibility-3") to its messages, for the form to show beside the field."""

    def __init__(self, errors: Mapping[str, list[str]], **kwargs: Any):
        super().__init__(str(_("The application is not complete: see the messages beside the fields.")), **kwargs)
        self.errors = dict(errors)


def call_phase(program: Program) -> Phase | None:
    return program.phases.filter(kind=PhaseKind.CALL_FOR_APPLICATIONS).order_by("starts_at").first()


def require_open_call(challenge: Challenge, *, now: datetime, action: str, startup: Startup | None = None) -> Phase:
    """The edition's call for applications, open at `now` (or past its end, for the application of `startup` that
    staff gave until a later moment); refused (and audited) otherwise."""
    call = call_phase(challenge.program)
    if call is not None and startup is not None and call.starts_at <= now and not call.is_open(now):
        extended = Application.objects.filter(startup=startup, challenge=challenge, extended_until__gt=now)
        if extended.exists():
            return call
    if call is None or not call.is_open(now):
        if call is not None and now >= call.ends_at:
            closed = timezone.localtime(call.ends_at, challenge.program.time_zone)
            message = _("The call for applications closed on %(date)s (%(zone)s time): nothing was saved.") % {
                "date": date_format(closed, "DATETIME_FORMAT"),
                "zone": challenge.program.time_zone,
            }
        else:
            message = _("The call for applications is not open: nothing was saved.")
        raise ApplicationRefused(message, action=action, obj=challenge, reason_code="call_closed")
    return call


def require_member(startup: Startup, actor: Any, *, action: str) -> None:
    if not StartupMembership.objects.filter(startup=startup, user=actor).exists():
        raise ApplicationRefused(
            _("Only the startup's members may do this."), action=action, obj=startup, reason_code="not_member"
        )


def _lock(startup: Startup, challenge: Challenge) -> Application | None:
    return Application.objects.select_for_update().filter(startup=startup, challenge=challenge).first()


def _lock_or_start(startup: Startup, challenge: Challenge, actor: Any) -> Application:
    """The application, locked, started as an empty draft if there is none. Two requests starting it at once (a
    double click on a new application's first save, two members) get the one row: the second's insert waits on the
    unique constraint until the first commits, then reads that row instead of failing with a duplicate."""
    application = _lock(startup, challenge)
    if application is None:
        Application.objects.get_or_create(startup=startup, challenge=challenge, defaults={"last_saved_by": actor})
        application = Application.objects.select_for_update().get(startup=startup, challenge=challenge)
    # The row is the one of this startup and challenge: the caller's objects (the challenge with its edition, as the
    # pages load it) stand for them, so naming the application in the audit log or reading its questions costs no
    # query. Not joined in the locking query, which would lock the startup's and the challenge's rows too.
    application.startup, application.challenge = startup, challenge
    return application


def _assign(application: Application, *, data: Mapping[str, Any], actor: Any) -> None:
    """Copy the common fields and eligibility answers present in `data` onto the application (not saved yet)."""
    for field in (*COMMON_FIELDS, "internal_notes"):
        if field in data:
            setattr(application, field, data[field] or "")
    if "eligibility" in data:
        application.eligibility = {str(key): bool(value) for key, value in dict(data["eligibility"]).items()}
    application.revision += 1
    application.last_saved_by = actor


def _files_of(application: Application) -> dict[int, Attachment]:
    """Every file of the application by id, in one query: which a file answer may name, which may be pruned, and what
    a submitted version says of them. Bounded by the files a question takes, plus those staged within the hour."""
    return {attachment.pk: attachment for attachment in application.attachments.order_by()}


def _write_answers(
    application: Application, *, answers: Any, questions: Iterable[Question], files: Mapping[int, Attachment]
) -> None:
    """Write the answers given in `answers` (by question id) to the application's `questions` (an answer already
    there is replaced); answers to other questions are ignored. A file question's answer keeps only the ids of the
    application's `files` for that question."""
    by_id = {question.pk: question for question in questions}
    given: dict[int, tuple[Question, Any]] = {}
    for question_id, value in dict(answers or {}).items():
        question = by_id.get(int(question_id))
        if question is not None:
            given[question.pk] = (question, value)  # "12" and 12 name one question: the last one given counts
    kept = {
        pk: _own_attachments(files, question, value)
        for pk, (question, value) in given.items()
        if question.kind == QuestionKind.FILE
    }
    if given:  # one statement, whatever the number of answers; the application's row lock serialises writers
        Answer.objects.bulk_create(
            [
                Answer(application=application, question=question, value=kept.get(pk, value))
                for pk, (question, value) in given.items()
            ],
            update_conflicts=True,
            unique_fields=["application", "question"],
            update_fields=["value"],
        )


def _own_attachments(files: Mapping[int, Attachment], question: Question, ids: Any) -> list[int]:
    """The ids among `ids` that are `files` of this application for this question, in the order given, at most the
    number a question takes."""
    wanted = [int(pk) for pk in (ids or []) if str(pk).isdigit()]
    own = {pk for pk in wanted if pk in files and files[pk].question_id == question.pk}
    return [pk for pk in dict.fromkeys(wanted) if pk in own][: settings.APPLICATION_FILES_PER_QUESTION]


def _prune_attachments(application: Application, files: Mapping[int, Attachment]) -> None:
    """Delete the files no answer and no submitted version refers to any longer (files dropped from a draft, or
    uploaded with a submission that was refused and not sent again); django-cleanup removes each row's stored file
    once the transaction commits. `files` are the application's, read under its lock. Files staged within the hour
    are kept whatever names them: when there is no other (a surge of first saves), what names them is not read."""
    since = _staging_since()
    older = {pk for pk, attachment in files.items() if attachment.uploaded_at < since}
    if older and (unnamed := older - application.named_files()):
        application.attachments.filter(pk__in=unnamed).delete()


def _staging_since() -> datetime:
    # Files staged in the last hour may belong to a form someone is correcting right now: they are kept for it.
    return timezone.now() - timedelta(hours=1)


def questions_for(challenge: Challenge) -> models.QuerySet:
    """The questions an application to `challenge` answers: the edition's and the challenge's own, in order."""
    return Question.objects.filter(
        models.Q(challenge__isnull=True) | models.Q(challenge=challenge), program=challenge.program_id, hidden=False
    ).order_by("order", "pk")


@audited_transaction
def application_save(
    *,
    startup: Startup,
    challenge: Challenge,
    actor: Any,
    data: Mapping[str, Any],
    revision: int | None = None,
    now: datetime | None = None,
) -> Application:
    """Save a draft (incomplete is fine) while the call is open. `revision` is the one the person's form was loaded
    with: if another member saved since, the save is refused rather than written over theirs."""
    now = now or timezone.now()
    require_member(startup, actor, action="application.refused")
    require_open_call(challenge, now=now, action="application.refused", startup=startup)
    application = _lock_or_start(startup, challenge, actor)
    if revision is not None and revision != application.revision:
        saved_at = timezone.localtime(application.updated_at, challenge.program.time_zone)
        raise ApplicationRefused(
            _("%(person)s saved this application at %(time)s, after you opened it: reload it to see their changes.")
            % {"person": application.last_saved_by or _("Another member"), "time": date_format(saved_at, "H:i")},
            action="application.conflict",
            obj=application,
            reason_code="conflict",
        )
    elif application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN):
        raise ApplicationRefused(
            _("This application is submitted: change it with “Submit the changes”."),
            action="application.refused",
            obj=application,
        )
    application.status = ApplicationStatus.DRAFT
    _assign(application, data=data, actor=actor)
    application.save()
    files = _files_of(application)
    if answers := data.get("answers"):
        _write_answers(application, answers=answers, questions=questions_for(challenge), files=files)
    _prune_attachments(application, files)
    record(action="application.draft_saved", actor=actor, obj=application, revision=application.revision)
    return application


def _answer_rows(application: Application) -> list[tuple[int, Any, str]]:
    """Every answer of the application as (question id, value, kind of the question), hidden questions' included."""
    return list(application.answers.values_list("question_id", "value", "question__kind"))


def completeness_errors(
    application: Application,
    *,
    questions: Iterable[Question] | None = None,
    answers: Sequence[tuple[int, Any, str]] | None = None,
) -> dict[str, list[str]]:
    """Every reason the application cannot be submitted, per field (empty when it can). `questions` (its
    challenge's, from `questions_for`) and `answers` (from `_answer_rows`) are read here unless the caller has them."""
    errors: dict[str, list[str]] = {}
    required = str(_("This answer is required to submit."))
    for field in COMMON_FIELDS:
        if not str(getattr(application, field) or "").strip():
            errors[field] = [required]
    rows = _answer_rows(application) if answers is None else answers
    given = {question_id: value for question_id, value, _kind in rows}
    for question in questions_for(application.challenge) if questions is None else questions:
        if question.required and given.get(question.pk) in (None, "", [], {}):
            errors[f"question-{question.pk}"] = [required]
    for condition in application.challenge.program.eligibility_conditions.all():
        if application.eligibility.get(str(condition.pk)) is not True:
            errors[f"eligibility-{condition.pk}"] = [
                str(_("Applications are open to startups that meet this condition."))
            ]
    return errors


def snapshot(
    application: Application,
    *,
    answers: Sequence[tuple[int, Any, str]] | None = None,
    files: Mapping[int, Attachment] | None = None,
) -> dict[str, Any]:
    """What a submitted version keeps: the common part, the eligibility answers, every answer by question, and the
    files the answers name (whose rows are then kept as long as the version is). `answers` (as `_answer_rows` reads
    them) and the application's `files` (as `_files_of` does) are read here unless the caller has them."""
    rows = _answer_rows(application) if answers is None else answers
    named = {pk for _question_id, value, kind in rows if kind == QuestionKind.FILE for pk in value or []}
    if files is None:
        files = {attachment.pk: attachment for attachment in application.attachments.filter(pk__in=named)}
    kept = {
        str(pk): {"name": attachment.name, "size": attachment.size, "sha256": attachment.sha256}
        for pk, attachment in files.items()
        if pk in named
    }
    return {
        **{field: getattr(application, field) for field in COMMON_FIELDS},
        "eligibility": application.eligibility,
        "answers": {str(question_id): value for question_id, value, _kind in rows},
        "files": kept,
    }


@audited_transaction
def application_submit(
    *,
    startup: Startup,
    challenge: Challenge,
    actor: Any,
    data: Mapping[str, Any],
    revision: int | None = None,
    now: datetime | None = None,
) -> Application:
    """Submit an application (or the changes to a submitted one) while the call is open: everything is checked,
    each submission is kept as a version, and the startup's members are sent a confirmation."""
    now = now or timezone.now()
    require_member(startup, actor, action="application.refused")
    require_open_call(challenge, now=now, action="application.refused", startup=startup)
    application = _lock_or_start(startup, challenge, actor)
    if application.pk and ApplicationStatus.SUBMITTED not in APPLICANT_TRANSITIONS.get(application.status, frozenset()):
        raise ApplicationRefused(
            _("This application is being reviewed: it can no longer be changed."),
            action="application.refused",
            obj=application,
            reason_code="status",
        )
    if application.pk and revision is not None and revision != application.revision:
        raise ApplicationRefused(
            _("Another member saved this application after you opened it: reload it to see their changes."),
            action="application.conflict",
            obj=application,
            reason_code="conflict",
        )
    # The answers first, then the completeness check, then one write of the application: a refused submission rolls
    # everything back, so the row is written once, already submitted.
    questions = list(questions_for(challenge))
    files = _files_of(application)
    _assign(application, data=data, actor=actor)
    if answers := data.get("answers"):
        _write_answers(application, answers=answers, questions=questions, files=files)
    _prune_attachments(application, files)
    rows = _answer_rows(application)
    if errors := completeness_errors(application, questions=questions, answers=rows):
        raise ApplicationInvalid(errors)
    application.status = ApplicationStatus.SUBMITTED
    application.submitted_at = now
    application.save()
    number = application.versions.count() + 1
    ApplicationVersion.objects.create(
        application=application,
        number=number,
        submitted_at=now,
        submitted_by=actor,
        content=snapshot(application, answers=rows, files=files),
    )
    record(action="application.submitted", actor=actor, obj=application, version=number)
    notify(
        kind=notices.APPLICATION_SUBMITTED,
        recipients=startup.members.all(),
        obj=application,
        url=application.get_absolute_url(),
        key=f"v{number}",
        context={"version": number},
    )
    return application


@audited_transaction
def attachments_stage(
    *,
    startup: Startup,
    challenge: Challenge,
    uploads: Mapping[int, Sequence[UploadedFile]],
    actor: Any,
    now: datetime | None = None,
) -> dict[int, list[int]]:
    """Store the files sent for the file questions of the startup's application to `challenge` (a draft is
    started if there is none), before the answers are saved or submitted: committed on their own, so a submission
    refused for another reason loses no upload. Each file is checked again (size, type from its bytes); one refused
    file refuses them all and nothing is stored. Returns the new attachments' ids per question."""
    now = now or timezone.now()
    require_member(startup, actor, action="application.refused")
    require_open_call(challenge, now=now, action="application.refused", startup=startup)
    questions = {question.pk: question for question in questions_for(challenge).filter(kind=QuestionKind.FILE)}
    errors: dict[str, list[str]] = {}
    checked: list[tuple[Question, UploadedFile, FileType]] = []
    for question_id, files in uploads.items():
        question = questions.get(int(question_id))
        for upload in files:
            if question is None:
                errors.setdefault(f"question-{question_id}", []).append(str(_("This question takes no file.")))
                continue
            try:
                kind = check_upload(upload, max_bytes=settings.APPLICATION_FILE_MAX_BYTES)
            except ValidationError as error:
                errors.setdefault(f"question-{question_id}", []).extend(error.messages)
            else:
                checked.append((question, upload, kind))
    if errors:
        raise ApplicationInvalid(errors)
    if not checked:
        return {}
    application = _lock_or_start(startup, challenge, actor)
    staged: dict[int, list[int]] = {}
    for question, upload, kind in checked:
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        attachment = Attachment(
            application=application,
            question=question,
            name=clean_filename(upload.name),
            content_type=kind.mime,
            size=upload.size or 0,
            sha256=digest.hexdigest(),
            uploaded_by=actor,
        )
        attachment.file.save(attachment.name, upload, save=False)
        attachment.save()
        staged.setdefault(question.pk, []).append(attachment.pk)
        record(
            action="application.file_added",
            actor=actor,
            obj=application,
            file=attachment.name,
            size=attachment.size,
            sha256=attachment.sha256,
        )
    return staged


@audited_transaction
def application_withdraw(*, application: Application, actor: Any, now: datetime | None = None) -> Application:
    """Withdraw an application while the call is open; it may be taken up again as a draft before the deadline."""
    now = now or timezone.now()
    require_member(application.startup, actor, action="application.refused")
    require_open_call(application.challenge, now=now, action="application.refused", startup=application.startup)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if ApplicationStatus.WITHDRAWN not in APPLICANT_TRANSITIONS.get(application.status, frozenset()):
        raise ApplicationRefused(
            _("This application cannot be withdrawn."), action="application.refused", obj=application
        )
    application.status = ApplicationStatus.WITHDRAWN
    application.revision += 1
    application.last_saved_by = actor
    application.save()
    record(action="application.withdrawn", actor=actor, obj=application)
    notify(
        kind=notices.APPLICATION_WITHDRAWN,
        recipients=application.startup.members.all(),
        obj=application,
        url=application.get_absolute_url(),
        key=f"r{application.revision}",
    )
    return application


@audited_transaction
def application_set_status(*, application: Application, status: str, actor: Any, reason: str = "") -> Application:
    """Staff's review: submitted → under review → eligible or ineligible (with a reason). The startup is told."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if status not in STAFF_TRANSITIONS.get(application.status, frozenset()):
        raise ApplicationRefused(
            _("An application cannot go from “%(from)s” to “%(to)s”.")
            % {"from": application.get_status_display(), "to": ApplicationStatus(status).label},
            action="application.status_refused",
            obj=application,
            to=status,
        )
    if status == ApplicationStatus.INELIGIBLE and not reason.strip():
        raise ApplicationRefused(_("Say why the application is ineligible: the startup will read it."))
    was = application.status
    application.status = status
    application.ineligible_reason = reason.strip() if status == ApplicationStatus.INELIGIBLE else ""
    application.save(update_fields=["status", "ineligible_reason", "updated_at"])
    record(
        action="application.status_changed",
        actor=actor,
        obj=application,
        changes={"status": {"from": was, "to": status}},
    )
    notify(
        kind=notices.APPLICATION_STATUS,
        recipients=application.startup.members.all(),
        obj=application,
        url=application.get_absolute_url(),
        key=f"{status}@{timezone.now().isoformat()}",
        context={"status": status, "reason": application.ineligible_reason},
    )
    return application


@audited_transaction
def application_extend(*, application: Application, until: datetime, reason: str, actor: Any) -> Application:
    """Staff let one application be changed, submitted or withdrawn after the call's deadline, until `until` (a
    network failure, a reported bug...): the reason is recorded, and the startup's members are told."""
    call = call_phase(application.challenge.program)
    if call is None or until <= call.ends_at:
        raise ApplicationRefused(
            _("An extension must end after the call's deadline."), action="application.extension_refused"
        )
    if not reason.strip():
        raise ApplicationRefused(_("Say why the deadline is extended: the audit log keeps it."))
    application = Application.objects.select_for_update().get(pk=application.pk)
    was = application.extended_until
    application.extended_until = until
    application.save(update_fields=["extended_until", "updated_at"])
    record(
        action="application.extended",
        actor=actor,
        obj=application,
        changes={"extended_until": {"from": was.isoformat() if was else None, "to": until.isoformat()}},
        reason=reason.strip(),
    )
    notify(
        kind=notices.APPLICATION_EXTENDED,
        recipients=application.startup.members.all(),
        obj=application,
        url=application.get_absolute_url(),
        key=f"until {until.isoformat()}",
        context={"until": until.isoformat(), "zone": str(application.challenge.program.time_zone)},
    )
    return application
