"""Access to restricted datasets: a selected startup asks, the owner partner approves (a grant to the startup team,
until an end date) or refuses, and may revoke; data-use agreements are versioned and accepted person by person;
every download of governed data is logged. The audited, notified writes; who may do what is in `permissions.py`."""

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from datacity.audit.context import current
from datacity.audit.services import Refused, audited_transaction, record
from datacity.notifications.services import notify
from partners.models import PartnerMembership
from startups.agreements import startups_with_agreement_in_force
from startups.models import Selection, Startup, StartupMembership

from .models import (
    AccessGrant,
    AccessGrantQuerySet,
    AccessLevel,
    AccessRequest,
    AccessRequestStatus,
    AgreementAcceptance,
    Dataset,
    DataUseAgreement,
    Distribution,
    DownloadLog,
)
from .notices import DATASET_ACCESS_DECIDED, DATASET_ACCESS_REQUESTED, DATASET_ACCESS_REVOKED, DATASET_ACCESS_TERM
from .permissions import RENEWAL_WINDOW, datasets_visible_to

# The startup team hears that its access is near its end this long before it (and may ask for more from then on);
# a grant that ended this long ago or less still gets its "ended" notice when the clock was down at the time.
ENDING_NOTICE = RENEWAL_WINDOW
ENDED_CATCH_UP = timedelta(days=7)


class AccessRefused(Refused):
    """An access change refused by the rules; `details["reason_code"]` says which (for tests and the audit log)."""


# --- Reads ---------------------------------------------------------------------------------------------------------


def selected_startups_of(user: Any) -> QuerySet[Startup]:
    """The startups `user` belongs to that are selected in a published edition: those it may ask for data for."""
    if not user.is_authenticated:
        return Startup.objects.none()
    members = StartupMembership.objects.filter(user=user).values("startup_id")
    return Startup.objects.selected().filter(pk__in=members).order_by("name")


def default_grant_end(startup: Startup) -> datetime | None:
    """The end of the published edition the startup is selected in (the latest one), at 23:59:59 in its time zone;
    None if the startup is selected nowhere."""
    selection = (
        Selection.objects.public().filter(startup=startup).select_related("program").order_by("-program__ends_on")
    ).first()
    if selection is None:
        return None
    program = selection.program
    return datetime.combine(program.ends_on, time(23, 59, 59), tzinfo=program.time_zone)


def default_grant_ends(startup_ids: list[int]) -> dict[int, datetime]:
    """`default_grant_end` for several startups in one query (the partner's page of pending requests)."""
    ends: dict[int, datetime] = {}
    selections = (
        Selection.objects.public()
        .filter(startup_id__in=startup_ids)
        .select_related("program")
        .order_by("program__ends_on")
    )
    for selection in selections:
        program = selection.program
        ends[selection.startup_id] = datetime.combine(program.ends_on, time(23, 59, 59), tzinfo=program.time_zone)
    return ends


def latest_agreement(dataset: Dataset) -> DataUseAgreement | None:
    return dataset.agreements.order_by("-version").first()


def pending_requests(partner_id: int) -> QuerySet[AccessRequest]:
    return (
        AccessRequest.objects.filter(dataset__owner_id=partner_id, status=AccessRequestStatus.REQUESTED)
        .select_related("dataset", "startup", "requested_by")
        .order_by("created_at")
    )


def active_grants(partner_id: int) -> QuerySet[AccessGrant]:
    return (
        AccessGrant.objects.active()
        .filter(dataset__owner_id=partner_id)
        .select_related("dataset", "startup", "granted_by")
        .order_by("ends_at")
    )


def ended_grants(partner_id: int, *, now: datetime | None = None) -> QuerySet[AccessGrant]:
    """The partner's grants that ended by their date in the last 90 days (not revoked): those it may renew."""
    now = now or timezone.now()
    return (
        AccessGrant.objects.filter(
            dataset__owner_id=partner_id, revoked_at__isnull=True, ends_at__lte=now, ends_at__gt=now - timedelta(90)
        )
        .select_related("dataset", "startup")
        .order_by("-ends_at")
    )


def requests_of_startups(startup_ids: Any) -> QuerySet[AccessRequest]:
    """Every request of these startups, newest first, with the grant it led to (a startup's own page)."""
    return (
        AccessRequest.objects.filter(startup__in=startup_ids)
        .select_related("dataset__owner", "startup", "requested_by", "grant")
        .order_by("-created_at")
    )


def grants_of_startups(startup_ids: Any) -> AccessGrantQuerySet:
    return AccessGrant.objects.filter(startup__in=startup_ids).select_related("dataset__owner", "startup")


def downloads_of_partner(partner_id: int) -> QuerySet[DownloadLog]:
    return DownloadLog.objects.filter(distribution__dataset__owner_id=partner_id).for_listing()


# --- Helpers -------------------------------------------------------------------------------------------------------


def _users(memberships: QuerySet) -> QuerySet:
    return get_user_model()._default_manager.filter(pk__in=memberships, is_active=True)


def _partner_members(dataset: Dataset) -> QuerySet:
    return _users(PartnerMembership.objects.filter(partner_id=dataset.owner_id).values("user"))


def _startup_members(startup_id: int) -> QuerySet:
    return _users(StartupMembership.objects.filter(startup_id=startup_id).values("user"))


def _is_partner_member(actor: Any, dataset: Dataset) -> bool:
    return PartnerMembership.objects.filter(partner_id=dataset.owner_id, user=actor).exists()


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _requests_url(dataset: Dataset) -> str:
    from django.urls import reverse

    return reverse("datasets:requests", kwargs={"partner": dataset.owner.slug})


# --- Requests and decisions ----------------------------------------------------------------------------------------


@audited_transaction
def access_request(*, dataset: Dataset, startup: Startup, actor: Any, purpose: str) -> AccessRequest:
    """A member of a selected startup asks for the files of a restricted dataset; the partner's members hear of it."""
    action = "dataset.access_request_refused"
    if not selected_startups_of(actor).filter(pk=startup.pk).exists():
        raise AccessRefused(
            _("Only the members of a startup selected in the program may ask for data."),
            action=action,
            obj=dataset,
            reason_code="not_selected",
        )
    if not startups_with_agreement_in_force().filter(pk=startup.pk).exists():
        raise AccessRefused(
            _(
                "Your startup's experimentation agreement is not yet signed by all three parties: data access opens "
                "once the city, the sponsoring partner and your startup have signed it."
            ),
            action=action,
            obj=dataset,
            reason_code="no_agreement",
        )
    if not datasets_visible_to(actor).filter(pk=dataset.pk).exists():
        raise AccessRefused(
            _("This dataset's files are not shared on request."), action=action, obj=dataset, reason_code="hidden"
        )
    if dataset.access_level != AccessLevel.RESTRICTED:
        raise AccessRefused(
            _("This dataset's files are not shared on request."),
            action=action,
            obj=dataset,
            reason_code="not_restricted",
        )
    purpose = (purpose or "").strip()
    if not purpose:
        raise AccessRefused(
            _("Say what you need the data for: the purpose is required."),
            action=action,
            obj=dataset,
            reason_code="no_purpose",
        )
    # A grant in force refuses a new request, except near its end: the request is then one to renew it.
    renewal_from = timezone.now() + RENEWAL_WINDOW
    if AccessGrant.objects.active().filter(dataset=dataset, startup=startup, ends_at__gt=renewal_from).exists():
        raise AccessRefused(
            _("Your startup already has access to this dataset."), action=action, obj=dataset, reason_code="granted"
        )
    request = AccessRequest(dataset=dataset, startup=startup, requested_by=actor, purpose=purpose)
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as error:
        raise AccessRefused(
            _("Your startup already has a request waiting for this dataset."),
            action=action,
            obj=dataset,
            reason_code="already_requested",
        ) from error
    record(action="dataset.access_requested", actor=actor, obj=request, startup=startup.pk, purpose=purpose)
    notify(
        kind=DATASET_ACCESS_REQUESTED,
        recipients=_partner_members(dataset),
        obj=request,
        key=f"requested-{request.pk}",
        url=_requests_url(dataset),
        context={"purpose": purpose},
    )
    return request


def _locked_request(request: AccessRequest) -> AccessRequest:
    return (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("dataset__owner", "startup")
        .get(pk=request.pk)
    )


def _check_decider(request: AccessRequest, actor: Any, action: str) -> None:
    if not _is_partner_member(actor, request.dataset):
        raise AccessRefused(
            _("Only the members of the dataset's partner may decide."),
            action=action,
            obj=request,
            reason_code="not_partner",
        )
    if request.status != AccessRequestStatus.REQUESTED:
        raise AccessRefused(
            _("This request is already decided."), action=action, obj=request, reason_code="not_requested"
        )


def _announce_decision(request: AccessRequest, *, context: dict[str, Any]) -> None:
    assert request.decided_at is not None  # noqa: S101 (set by the decision just made)
    notify(
        kind=DATASET_ACCESS_DECIDED,
        recipients=_startup_members(request.startup_id),
        obj=request,
        key=f"{request.status}-{request.pk}",
        url=request.dataset.get_absolute_url(),
        context={"status": request.status, "reason": request.reason, **context},
    )


@audited_transaction
def access_approve(*, request: AccessRequest, actor: Any, ends_at: datetime | None = None) -> AccessGrant:
    """The partner approves: a grant to the startup team from now until `ends_at` (by default the end of the
    startup's edition)."""
    action = "dataset.access_approval_refused"
    request = _locked_request(request)
    _check_decider(request, actor, action)
    now = timezone.now()
    ends_at = ends_at or default_grant_end(request.startup)
    if ends_at is None or ends_at <= now:
        raise AccessRefused(
            _("Give an end date in the future for this access."), action=action, obj=request, reason_code="ends_at"
        )
    request.status, request.decided_by, request.decided_at = AccessRequestStatus.APPROVED, actor, now
    request.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    grant = AccessGrant.objects.create(
        dataset=request.dataset,
        startup=request.startup,
        request=request,
        granted_by=actor,
        starts_at=now,
        ends_at=ends_at,
    )
    record(action="dataset.access_approved", actor=actor, obj=request, grant=grant.pk, ends_at=ends_at.isoformat())
    _announce_decision(request, context={"ends_at": _when(ends_at)})
    return grant


@audited_transaction
def access_refuse(*, request: AccessRequest, actor: Any, reason: str) -> AccessRequest:
    """The partner refuses, with a reason the startup reads."""
    action = "dataset.access_refusal_refused"
    request = _locked_request(request)
    _check_decider(request, actor, action)
    reason = (reason or "").strip()
    if not reason:
        raise AccessRefused(
            _("Give the startup a reason for the refusal."), action=action, obj=request, reason_code="no_reason"
        )
    request.status, request.reason = AccessRequestStatus.REFUSED, reason
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"])
    record(action="dataset.access_refused", actor=actor, obj=request, reason=reason)
    _announce_decision(request, context={})
    return request


@audited_transaction
def access_revoke(*, grant: AccessGrant, actor: Any, reason: str) -> AccessGrant:
    """The partner ends a grant now: downloads stop at once; the startup's members are told why."""
    action = "dataset.access_revocation_refused"
    grant = (
        AccessGrant.objects.select_for_update(of=("self",)).select_related("dataset__owner", "startup").get(pk=grant.pk)
    )
    if not _is_partner_member(actor, grant.dataset):
        raise AccessRefused(
            _("Only the members of the dataset's partner may revoke access."),
            action=action,
            obj=grant,
            reason_code="not_partner",
        )
    if grant.revoked_at is not None:
        raise AccessRefused(_("This access is already revoked."), action=action, obj=grant, reason_code="revoked")
    reason = (reason or "").strip()
    if not reason:
        raise AccessRefused(
            _("Give the startup a reason for the revocation."), action=action, obj=grant, reason_code="no_reason"
        )
    grant.revoked_at, grant.revoked_by, grant.reason = timezone.now(), actor, reason
    grant.save(update_fields=["revoked_at", "revoked_by", "reason", "updated_at"])
    record(action="dataset.access_revoked", actor=actor, obj=grant, reason=reason)
    notify(
        kind=DATASET_ACCESS_REVOKED,
        recipients=_startup_members(grant.startup_id),
        obj=grant,
        key=f"revoked-{grant.pk}",
        url=grant.dataset.get_absolute_url(),
        context={"reason": reason},
    )
    return grant


@audited_transaction
def access_withdraw(*, request: AccessRequest, actor: Any) -> AccessRequest:
    """A member of the startup takes back a request still waiting; the partner no longer sees it."""
    action = "dataset.access_withdrawal_refused"
    request = _locked_request(request)
    if not StartupMembership.objects.filter(startup_id=request.startup_id, user=actor).exists():
        raise AccessRefused(
            _("Only a member of the startup may withdraw its request."),
            action=action,
            obj=request,
            reason_code="not_member",
        )
    if request.status != AccessRequestStatus.REQUESTED:
        raise AccessRefused(
            _("This request is already decided."), action=action, obj=request, reason_code="not_requested"
        )
    request.status = AccessRequestStatus.WITHDRAWN
    request.save(update_fields=["status", "updated_at"])
    record(action="dataset.access_withdrawn", actor=actor, obj=request)
    return request


def _announce_term(grant: AccessGrant, event: str) -> int:
    """The startup team hears of its grant's end date: moved ("extended"), near ("ending") or reached ("ended").
    The key holds the end date, so a grant extended after a notice gets the notices of its new end in turn."""
    return notify(
        kind=DATASET_ACCESS_TERM,
        recipients=_startup_members(grant.startup_id),
        obj=grant,
        key=f"{event}-{grant.pk}-{grant.ends_at:%Y%m%d%H%M%S}",
        url=grant.dataset.get_absolute_url(),
        context={"event": event, "ends_at": _when(grant.ends_at)},
    )


@audited_transaction
def access_extend(*, grant: AccessGrant, actor: Any, ends_at: datetime | None) -> AccessGrant:
    """The partner moves a grant's end date (later to extend or renew one that has just ended, earlier to shorten
    it); a revoked grant stays revoked. The startup team is told of the new date."""
    action = "dataset.access_extension_refused"
    grant = (
        AccessGrant.objects.select_for_update(of=("self",)).select_related("dataset__owner", "startup").get(pk=grant.pk)
    )
    if not _is_partner_member(actor, grant.dataset):
        raise AccessRefused(
            _("Only the members of the dataset's partner may change an access."),
            action=action,
            obj=grant,
            reason_code="not_partner",
        )
    if grant.revoked_at is not None:
        raise AccessRefused(_("This access is already revoked."), action=action, obj=grant, reason_code="revoked")
    if ends_at is None or ends_at <= timezone.now():
        raise AccessRefused(
            _("Give an end date in the future for this access."), action=action, obj=grant, reason_code="ends_at"
        )
    previous = grant.ends_at
    grant.ends_at = ends_at
    grant.save(update_fields=["ends_at", "updated_at"])
    record(
        action="dataset.access_extended",
        actor=actor,
        obj=grant,
        previous=previous.isoformat(),
        ends_at=ends_at.isoformat(),
    )
    _announce_term(grant, "extended")
    return grant


def grant_term_notices(*, now: datetime | None = None) -> int:
    """Run by the clock: each startup team hears once that a grant ends within `ENDING_NOTICE`, and once that it has
    ended (up to `ENDED_CATCH_UP` late, after downtime). Revoked grants were announced when revoked. Idempotent: the
    outbox keeps one notice per key and person. Returns the notices written."""
    now = now or timezone.now()
    grants = AccessGrant.objects.filter(revoked_at__isnull=True).select_related("dataset")
    written = 0
    for grant in grants.filter(ends_at__gt=now, ends_at__lte=now + ENDING_NOTICE):
        written += _announce_term(grant, "ending")
    for grant in grants.filter(ends_at__lte=now, ends_at__gt=now - ENDED_CATCH_UP):
        written += _announce_term(grant, "ended")
    return written


# --- Data-use agreements -------------------------------------------------------------------------------------------


@audited_transaction
def agreement_publish(*, dataset: Dataset, text: str, actor: Any) -> DataUseAgreement:
    """A new version of the dataset's agreement: everyone must accept it again before their next download."""
    text = (text or "").strip()
    if not text:
        raise AccessRefused(_("The agreement needs a text."), reason_code="no_text")
    # Lock the dataset so that two publications cannot take the same version number.
    Dataset.objects.select_for_update().filter(pk=dataset.pk).first()
    previous = latest_agreement(dataset)
    agreement = DataUseAgreement.objects.create(
        dataset=dataset, version=(previous.version + 1) if previous else 1, text=text, created_by=actor
    )
    record(action="dataset.agreement_published", actor=actor, obj=dataset, version=agreement.version)
    return agreement


@audited_transaction
def agreement_accept(*, agreement: DataUseAgreement, user: Any, startup: Startup) -> AgreementAcceptance:
    """`user` accepts this version of the agreement, for `startup` (idempotent: a second acceptance is the first)."""
    if not StartupMembership.objects.filter(startup=startup, user=user).exists():
        raise AccessRefused(
            _("Only a member of the startup may accept the agreement for it."),
            action="dataset.agreement_acceptance_refused",
            obj=agreement.dataset,
            reason_code="not_member",
        )
    acceptance, created = AgreementAcceptance.objects.get_or_create(
        agreement=agreement, user=user, defaults={"startup": startup}
    )
    if created:
        record(
            action="dataset.agreement_accepted",
            actor=user,
            obj=agreement.dataset,
            version=agreement.version,
            startup=startup.pk,
        )
    return acceptance


# --- The download log ----------------------------------------------------------------------------------------------


def download_record(
    *,
    user: Any,
    distribution: Distribution,
    startup: Startup | None,
    grant: AccessGrant | None,
    agreement: DataUseAgreement | None,
) -> DownloadLog:
    """One row per allowed download of governed data, with where it came from (the audit context)."""
    context = current()
    return DownloadLog.objects.create(
        user=user,
        startup=startup,
        distribution=distribution,
        grant=grant,
        agreement=agreement,
        ip_address=context.ip_address,
        request_id=context.request_id[:64],
    )
