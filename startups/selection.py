"""Staff's decisions after the jury: shortlist, audition, selected (with a sponsoring partner) or not, and their
publication to every applicant of an edition at one moment. Publishing a selection writes the edition's `Selection`
record (what the public pages show) through `selection_save`; every write is audited."""

import zlib
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from challenges.models import Program
from datacity.audit.services import Refused, audited_transaction, record
from datacity.notifications.services import notify
from partners.models import Partner

from .models import Application, ApplicationStatus, Decision, DecisionStage, Selection, StartupMembership
from .notices import AUDITION_INVITED, SELECTION_DECIDED
from .services import selection_delete, selection_save

# Applications that were never sent, or taken back, are not decided on.
NOT_SUBMITTED = (ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN)
# Stages still waiting for the final decision: publication is refused while one is left.
UNDECIDED = (DecisionStage.SHORTLISTED, DecisionStage.AUDITION)
# What a published decision may be corrected to (it is then published again to that applicant).
FINAL = (DecisionStage.SELECTED, DecisionStage.NOT_SELECTED)


class SelectionRefused(Refused):
    """A decision refused by the rules; `details["reason_code"]` says which (for tests and the audit log)."""


def _check_staff(actor: Any, *, action: str, obj: Any) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.is_staff):
        raise SelectionRefused(
            _("Only the program team may decide on applications."), action=action, obj=obj, reason_code="not_staff"
        )


def _startup_members(startup_id: int) -> QuerySet:
    members = StartupMembership.objects.filter(startup_id=startup_id).values("user")
    return get_user_model()._default_manager.filter(pk__in=members, is_active=True)


def sponsors_of(application: Application) -> list[Partner]:
    """The partners that may sponsor a startup selected for this application: the challenge's owner and
    co-sponsors."""
    challenge = application.challenge
    return [challenge.owner, *challenge.co_sponsors.exclude(pk=challenge.owner_id).order_by("name")]


def submitted_applications(program: Program) -> QuerySet[Application]:
    """The applications of the edition that were submitted: those decided on and told of the decision."""
    return Application.objects.filter(challenge__program=program).exclude(status__in=NOT_SUBMITTED)


# --- Publishing one decision -----------------------------------------------------------------------------------------


def _publish_one(decision: Decision, *, actor: Any, now: datetime, unselect: bool = False) -> int:
    """Tell the startup's members of a final decision and write the edition's Selection (or, `unselect`, remove the
    one a correction takes back); sets `published_at`. The notice's key holds the stage: publishing the same outcome
    twice tells nobody twice."""
    application = decision.application
    program = application.challenge.program
    existing = Selection.objects.filter(program=program, startup_id=application.startup_id).first()
    if decision.stage == DecisionStage.SELECTED:
        selection = existing or Selection(program=program, startup_id=application.startup_id)
        selection.challenge = application.challenge
        selection.sponsor = decision.sponsor
        selection.selected_on = timezone.localdate(now, program.time_zone)
        selection_save(selection=selection, actor=actor)
    elif unselect and existing is not None and existing.challenge_id == application.challenge_id:
        selection_delete(selection=existing, actor=actor)
    decision.published_at = now
    decision.save(update_fields=["published_at", "updated_at"])
    record(action="selection.decision_published", actor=actor, obj=decision, stage=decision.stage)
    selected = decision.stage == DecisionStage.SELECTED
    return notify(
        kind=SELECTION_DECIDED,
        recipients=_startup_members(application.startup_id),
        obj=decision,
        key=f"decided-{decision.pk}-{decision.stage}",
        url=application.get_absolute_url(),
        context={
            "stage": decision.stage,
            "challenge": application.challenge.title,
            "sponsor": decision.sponsor.name if selected and decision.sponsor else "",
            "feedback": decision.feedback if decision.share_feedback else "",
        },
    )


# --- Decisions -------------------------------------------------------------------------------------------------------


def _decision_set(
    *,
    application: Application,
    actor: Any,
    stage: str,
    reason: str = "",
    feedback: str = "",
    share_feedback: bool = False,
    sponsor: Partner | None = None,
    audition_at: datetime | None = None,
    audition_place: str = "",
) -> Decision:
    """Staff set an application's stage. Selected needs a sponsoring partner of the challenge (its owner or a
    co-sponsor); an audition needs a date and a place. A published decision may still be corrected to selected or
    not selected: it is then published again to that applicant at once (and its Selection written or removed)."""
    action = "selection.decision_refused"
    _check_staff(actor, action=action, obj=application)
    application = Application.objects.select_related("challenge__program", "challenge__owner", "startup").get(
        pk=application.pk
    )
    if stage not in DecisionStage.values:
        raise SelectionRefused(_("Choose a stage."), action=action, obj=application, reason_code="stage")
    if application.status in NOT_SUBMITTED:
        raise SelectionRefused(
            _("Only a submitted application can be decided on."),
            action=action,
            obj=application,
            reason_code="not_submitted",
        )
    reason, feedback, audition_place = (reason or "").strip(), (feedback or "").strip(), (audition_place or "").strip()
    if stage == DecisionStage.SELECTED:
        allowed = sponsors_of(application)
        if sponsor is None or sponsor.pk not in {partner.pk for partner in allowed}:
            names = ", ".join(partner.name for partner in allowed)
            raise SelectionRefused(
                _("A selected startup is paired with a sponsoring partner of the challenge: one of %(names)s.")
                % {"names": names},
                action=action,
                obj=application,
                reason_code="sponsor",
            )
    else:
        sponsor = None
    if stage == DecisionStage.AUDITION:
        if audition_at is None or not audition_place:
            raise SelectionRefused(
                _("An audition needs a date and time and a place."),
                action=action,
                obj=application,
                reason_code="audition",
            )
    else:
        audition_at, audition_place = None, ""

    decision, _created = Decision.objects.select_for_update().get_or_create(application=application)
    decision.application = application
    published = decision.published_at is not None
    if published and stage not in FINAL:
        raise SelectionRefused(
            _("This decision is published: it can only be corrected to selected or not selected."),
            action=action,
            obj=decision,
            reason_code="published",
        )
    previous = decision.stage
    decision.stage, decision.reason, decision.feedback = stage, reason, feedback
    decision.share_feedback, decision.sponsor = bool(share_feedback), sponsor
    decision.audition_at, decision.audition_place = audition_at, audition_place
    decision.decided_by, decision.decided_at = actor, timezone.now()
    try:
        decision.full_clean()
    except ValidationError as error:
        raise SelectionRefused(
            " ".join(error.messages), action=action, obj=application, reason_code="invalid"
        ) from error
    decision.save()
    record(
        action="selection.decision_set",
        actor=actor,
        obj=decision,
        previous=previous,
        stage=stage,
        sponsor=sponsor.pk if sponsor else None,
        share_feedback=decision.share_feedback,
    )
    if published:
        unselect = previous == DecisionStage.SELECTED and stage != DecisionStage.SELECTED
        _publish_one(decision, actor=actor, now=decision.decided_at, unselect=unselect)
    return decision


# The service, in its own audited transaction; `audition_invite` calls the undecorated one inside its own.
decision_set = audited_transaction(_decision_set)


@audited_transaction
def audition_invite(
    *,
    application: Application,
    actor: Any,
    audition_at: datetime | None,
    audition_place: str,
    reason: str = "",
    feedback: str = "",
    share_feedback: bool = False,
) -> Decision:
    """Invite the startup to an audition: the decision's stage, and at once a notice to its members with the date
    and the place (a new date or place is a new notice)."""
    decision = _decision_set(
        application=application,
        actor=actor,
        stage=DecisionStage.AUDITION,
        reason=reason,
        feedback=feedback,
        share_feedback=share_feedback,
        audition_at=audition_at,
        audition_place=audition_place,
    )
    assert decision.audition_at is not None  # noqa: S101 (decision_set requires it for an audition)
    program = decision.application.challenge.program
    when = timezone.localtime(decision.audition_at, program.time_zone)
    notify(
        kind=AUDITION_INVITED,
        recipients=_startup_members(decision.application.startup_id),
        obj=decision,
        key=f"audition-{decision.pk}-{decision.audition_at:%Y%m%d%H%M}-{zlib.crc32(decision.audition_place.encode()):x}",
        url=decision.application.get_absolute_url(),
        context={
            "audition_at": when.strftime("%Y-%m-%d %H:%M"),
            "time_zone": str(program.time_zone),
            "audition_place": decision.audition_place,
            "challenge": decision.application.challenge.title,
        },
    )
    return decision


@audited_transaction
def decisions_publish(*, program: Program, actor: Any, now: datetime | None = None) -> int:
    """Publish every decision of the edition at one moment: each submitted application's startup hears once, selected
    (its Selection is written) or not selected (every application without a 'selected' decision, with the feedback
    only if staff chose to share it). Refused while an application is still shortlisted or invited to an audition.
    Idempotent: what is published is not published again. Returns the number of decisions published."""
    action = "selection.publication_refused"
    _check_staff(actor, action=action, obj=program)
    now = now or timezone.now()
    applications = list(submitted_applications(program).select_related("challenge__program", "startup").order_by("pk"))
    decisions = {
        decision.application_id: decision
        for decision in Decision.objects.select_for_update(of=("self",))
        .select_related("sponsor")
        .filter(application__in=[application.pk for application in applications])
    }
    undecided = sum(1 for decision in decisions.values() if decision.stage in UNDECIDED)
    if undecided:
        raise SelectionRefused(
            ngettext(
                "%(count)d application is still shortlisted or invited to an audition: decide on it first.",
                "%(count)d applications are still shortlisted or invited to an audition: decide on them first.",
                undecided,
            )
            % {"count": undecided},
            action=action,
            obj=program,
            reason_code="undecided",
            count=undecided,
        )
    published = 0
    for application in applications:
        decision = decisions.get(application.pk)
        if decision is None:
            decision = Decision.objects.create(application=application)
        if decision.published_at is not None:
            continue
        decision.application = application
        if decision.stage not in FINAL:
            # Not decided (pending): not selected, as of this publication.
            decision.stage, decision.decided_by, decision.decided_at = DecisionStage.NOT_SELECTED, actor, now
            decision.save(update_fields=["stage", "decided_by", "decided_at", "updated_at"])
        _publish_one(decision, actor=actor, now=now)
        published += 1
    record(action="selection.published", actor=actor, obj=program, decisions=published)
    return published
