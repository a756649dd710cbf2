"""Bookings of experimentation sites: a selected startup asks for a site for a period; the site's partner approves
or refuses. Who may see and act on a booking, and the audited, notified writes.

Two approved bookings of one site never overlap: the database's exclusion constraint guarantees it (even for two
approvals at the same instant); the services check first so that the usual case gets a message naming the
conflicting booking, and turn the constraint's refusal into the same message when a concurrent approval wins.
"""

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from datacity.audit.services import Refused, audited_transaction, record
from datacity.core.access import visible_or_404
from datacity.notifications.services import notify
from partners.models import ExperimentationSite, PartnerMembership
from partners.notices import BOOKING_CANCELLED, BOOKING_DECIDED, BOOKING_REQUESTED

from .agreements import startups_with_agreement_in_force
from .models import BookingStatus, SiteBooking, Startup, StartupMembership


class BookingRefused(Refused):
    """A booking change refused by the rules; `details["reason_code"]` says which (for tests and the audit log)."""


# --- Who sees what -------------------------------------------------------------------------------------------------


def bookings_of_startup_member(user: Any) -> "Any":
    if not user.is_authenticated:
        return SiteBooking.objects.none()
    return SiteBooking.objects.filter(startup__memberships__user=user)


def bookings_of_partner_member(user: Any) -> "Any":
    if not user.is_authenticated:
        return SiteBooking.objects.none()
    return SiteBooking.objects.filter(site__partner__memberships__user=user)


def bookings_visible_to(user: Any) -> "Any":
    """A booking is the business of the startup that asks and the partner that owns the site, nobody else's."""
    if not user.is_authenticated:
        return SiteBooking.objects.none()
    return SiteBooking.objects.filter(
        Q(pk__in=bookings_of_startup_member(user).values("pk"))
        | Q(pk__in=bookings_of_partner_member(user).values("pk"))
    )


def access_booking(user: Any, pk: int, *, as_startup: bool = False, as_partner: bool = False) -> SiteBooking:
    """The booking `pk` if `user` may see it (or act on it for the startup / for the partner); 404 otherwise."""
    if as_startup:
        visible = bookings_of_startup_member(user)
    elif as_partner:
        visible = bookings_of_partner_member(user)
    else:
        visible = bookings_visible_to(user)
    return visible_or_404(visible.select_related("site__partner", "startup", "decided_by"), pk=pk)


def bookable_sites():
    """The sites a startup may ask for: the public ones (see ExperimentationSite.objects.public)."""
    return ExperimentationSite.objects.public().for_listing()


def may_request(user: Any, startup: Startup) -> bool:
    """Members of a startup selected in a published edition may ask for sites."""
    return (
        user.is_authenticated
        and StartupMembership.objects.filter(startup=startup, user=user).exists()
        and Startup.objects.selected().filter(pk=startup.pk).exists()
    )


# --- Rules ---------------------------------------------------------------------------------------------------------


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _context(booking: SiteBooking) -> dict[str, Any]:
    return {
        "status": booking.status,
        "starts_at": _when(booking.starts_at),
        "ends_at": _when(booking.ends_at),
        "purpose": booking.purpose,
        "reason": booking.reason,
    }


def _check_period(booking: SiteBooking, action: str) -> None:
    """The period ends after it starts and lies within one of the site's availability windows."""
    if booking.ends_at <= booking.starts_at:
        raise BookingRefused(
            _("A booking must end after it starts."), action=action, obj=booking.site, reason_code="ends_before_start"
        )
    windows = list(booking.site.availability.all())
    if not any(start <= booking.starts_at and booking.ends_at <= end for start, end in (w.period() for w in windows)):
        announced = "; ".join(f"{w.starts_on:%Y-%m-%d} – {w.ends_on:%Y-%m-%d}" for w in windows) or _("none")
        raise BookingRefused(
            _("The site is not available for the whole period. Its availability windows: %(windows)s.")
            % {"windows": announced},
            action=action,
            obj=booking.site,
            reason_code="outside_availability",
        )


def _conflict_message(conflict: SiteBooking | None, *, for_partner: bool) -> str:
    if conflict is None:
        return _("This period overlaps an approved booking of the same site.")
    values = {"pk": conflict.pk, "startup": conflict.startup.name, "start": _when(conflict.starts_at)}
    values["end"] = _when(conflict.ends_at)
    if for_partner:
        return _("This period overlaps booking #%(pk)s of %(startup)s, approved from %(start)s to %(end)s.") % values
    return _("The site is already booked from %(start)s to %(end)s.") % values


def _approved_conflict(booking: SiteBooking) -> SiteBooking | None:
    return (
        SiteBooking.objects.overlapping(site_id=booking.site_id, starts_at=booking.starts_at, ends_at=booking.ends_at)
        .filter(status=BookingStatus.APPROVED)
        .exclude(pk=booking.pk)
        .select_related("startup")
        .order_by("starts_at")
        .first()
    )


def _partner_members(booking: SiteBooking):
    return PartnerMembership.objects.filter(partner_id=booking.site.partner_id).values("user")


def _startup_members(booking: SiteBooking):
    return StartupMembership.objects.filter(startup_id=booking.startup_id).values("user")


def _users(memberships):
    from django.contrib.auth import get_user_model

    return get_user_model()._default_manager.filter(pk__in=memberships, is_active=True)


# --- Writes --------------------------------------------------------------------------------------------------------


@audited_transaction
def booking_request(
    *,
    site: ExperimentationSite,
    startup: Startup,
    actor: Any,
    starts_at: datetime,
    ends_at: datetime,
    purpose: str,
) -> SiteBooking:
    """A member of a selected startup asks for `site` for a period; the partner's members hear of it."""
    action = "sitebooking.refused"
    if not may_request(actor, startup):
        raise BookingRefused(
            _("Only the members of a startup selected in the program may book a site."),
            action=action,
            obj=startup,
            reason_code="not_selected",
        )
    if not startups_with_agreement_in_force().filter(pk=startup.pk).exists():
        raise BookingRefused(
            _(
                "Your startup's experimentation agreement is not yet signed by all three parties: site bookings open "
                "once the city, the sponsoring partner and your startup have signed it."
            ),
            action=action,
            obj=startup,
            reason_code="no_agreement",
        )
    if not ExperimentationSite.objects.public().filter(pk=site.pk).exists():
        raise BookingRefused(_("This site cannot be booked."), action=action, obj=site, reason_code="hidden_site")
    purpose = (purpose or "").strip()
    if not purpose:
        raise BookingRefused(
            _("Say what the site is for: the purpose is required."), action=action, obj=site, reason_code="no_purpose"
        )
    booking = SiteBooking(
        site=site, startup=startup, starts_at=starts_at, ends_at=ends_at, purpose=purpose, requested_by=actor
    )
    _check_period(booking, action)
    conflict = _approved_conflict(booking)
    if conflict is not None:
        raise BookingRefused(
            _conflict_message(conflict, for_partner=False), action=action, obj=site, reason_code="overlap"
        )
    booking.full_clean()
    booking.save()
    record(action="sitebooking.requested", actor=actor, obj=booking, changes=_context(booking))
    notify(
        kind=BOOKING_REQUESTED,
        recipients=_users(_partner_members(booking)),
        obj=booking,
        key=f"requested-{booking.pk}",
        url=booking.get_absolute_url(),
        context=_context(booking),
    )
    return booking


def _locked(booking: SiteBooking) -> SiteBooking:
    return (
        SiteBooking.objects.select_for_update(of=("self",))
        .select_related("site__partner", "startup")
        .get(pk=booking.pk)
    )


def _check_partner_member(booking: SiteBooking, actor: Any, action: str) -> None:
    if not PartnerMembership.objects.filter(partner_id=booking.site.partner_id, user=actor).exists():
        raise BookingRefused(
            _("Only the members of the site's partner may decide."),
            action=action,
            obj=booking,
            reason_code="not_partner",
        )


def _decide(booking: SiteBooking, *, actor: Any, status: str, reason: str) -> None:
    booking.status = status
    booking.reason = reason
    booking.decided_by = actor
    booking.decided_at = timezone.now()


@audited_transaction
def booking_approve(*, booking: SiteBooking, actor: Any) -> SiteBooking:
    """The partner approves a requested booking; refused if it now overlaps an approved one (named in the message)."""
    action = "sitebooking.approval_refused"
    booking = _locked(booking)
    _check_partner_member(booking, actor, action)
    if booking.status != BookingStatus.REQUESTED:
        raise BookingRefused(
            _("Only a requested booking can be approved."), action=action, obj=booking, reason_code="not_requested"
        )
    _check_period(booking, action)
    conflict = _approved_conflict(booking)
    if conflict is not None:
        raise BookingRefused(
            _conflict_message(conflict, for_partner=True), action=action, obj=booking, reason_code="overlap"
        )
    _decide(booking, actor=actor, status=BookingStatus.APPROVED, reason="")
    try:
        with transaction.atomic():
            booking.save(update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"])
    except IntegrityError as error:
        # A concurrent approval of an overlapping booking committed after our check: the constraint refused ours.
        booking.status = BookingStatus.REQUESTED
        message = _conflict_message(_approved_conflict(booking), for_partner=True)
        raise BookingRefused(message, action=action, obj=booking, reason_code="overlap") from error
    _announce_decision(booking, actor)
    return booking


@audited_transaction
def booking_refuse(*, booking: SiteBooking, actor: Any, reason: str) -> SiteBooking:
    """The partner refuses a requested (or withdraws an approved) booking, with a reason the startup reads."""
    action = "sitebooking.refusal_refused"
    booking = _locked(booking)
    _check_partner_member(booking, actor, action)
    if booking.status not in (BookingStatus.REQUESTED, BookingStatus.APPROVED):
        raise BookingRefused(_("This booking is already closed."), action=action, obj=booking, reason_code="closed")
    reason = (reason or "").strip()
    if not reason:
        raise BookingRefused(
            _("Give the startup a reason for the refusal."), action=action, obj=booking, reason_code="no_reason"
        )
    _decide(booking, actor=actor, status=BookingStatus.REFUSED, reason=reason)
    booking.save(update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"])
    _announce_decision(booking, actor)
    return booking


def _announce_decision(booking: SiteBooking, actor: Any) -> None:
    record(
        action=f"sitebooking.{booking.status}",
        actor=actor,
        obj=booking,
        changes={"status": booking.status, "reason": booking.reason},
    )
    notify(
        kind=BOOKING_DECIDED,
        recipients=_users(_startup_members(booking)),
        obj=booking,
        key=f"{booking.status}-{booking.decided_at:%Y%m%dT%H%M%S%f}",
        url=booking.get_absolute_url(),
        context=_context(booking),
    )


@audited_transaction
def booking_cancel(*, booking: SiteBooking, actor: Any) -> SiteBooking:
    """The startup no longer needs the site: a requested or approved booking is cancelled, the partner told."""
    action = "sitebooking.cancel_refused"
    booking = _locked(booking)
    if not StartupMembership.objects.filter(startup_id=booking.startup_id, user=actor).exists():
        raise BookingRefused(
            _("Only the startup's members may cancel its booking."),
            action=action,
            obj=booking,
            reason_code="not_member",
        )
    if booking.status not in (BookingStatus.REQUESTED, BookingStatus.APPROVED):
        raise BookingRefused(_("This booking is already closed."), action=action, obj=booking, reason_code="closed")
    booking.status = BookingStatus.CANCELLED
    booking.save(update_fields=["status", "updated_at"])
    record(action="sitebooking.cancelled", actor=actor, obj=booking)
    notify(
        kind=BOOKING_CANCELLED,
        recipients=_users(_partner_members(booking)),
        obj=booking,
        key=f"cancelled-{booking.pk}",
        url=booking.get_absolute_url(),
        context=_context(booking),
    )
    return booking
