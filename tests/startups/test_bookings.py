"""Bookings of experimentation sites: request, approval, refusal, cancellation; the notices; overlaps refused by the
services and, under concurrent approvals, by the database's exclusion constraint."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from datacity.audit.models import AuditEntry
from datacity.notifications.models import Notification
from partners import services as partner_services
from partners.models import SiteKind
from startups import bookings
from startups.models import BookingStatus, SiteBooking
from tests.factories import (
    PartnerMembershipFactory,
    ProgramFactory,
    SelectionFactory,
    StartupMembershipFactory,
)

TRAM = {"type": "LineString", "coordinates": [[-7.62, 33.589], [-7.598, 33.595]]}


def make_world():
    """A public partner's site available for four months, two partner members, and two selected startups with two
    members each."""
    owner = PartnerMembershipFactory.create(partner__slug="casa-tram")
    colleague = PartnerMembershipFactory.create(partner=owner.partner)
    site = partner_services.site_create(
        partner=owner.partner, actor=None, data={"name": "T1", "kind": SiteKind.TRAM_LINE, "geometry": TRAM}
    )
    today = timezone.localdate()
    partner_services.site_availability_set(
        site=site, actor=None, windows=[(today - timedelta(days=1), today + timedelta(days=120))]
    )
    founders = []
    for _number in range(2):
        selection = SelectionFactory.create()
        first = StartupMembershipFactory.create(startup=selection.startup)
        StartupMembershipFactory.create(startup=selection.startup)
        founders.append(first)
    return site, owner, colleague, founders


def period(days: int, hours: int = 4):
    start = (timezone.now() + timedelta(days=days)).replace(microsecond=0)
    return start, start + timedelta(hours=hours)


def request(site, founder, days=2, hours=4, purpose="Testing counting sensors on the platforms."):
    starts_at, ends_at = period(days, hours)
    return bookings.booking_request(
        site=site, startup=founder.startup, actor=founder.user, starts_at=starts_at, ends_at=ends_at, purpose=purpose
    )


@pytest.mark.django_db
def test_request_notifies_the_partners_members():
    site, owner, colleague, (founder, _other) = make_world()
    booking = request(site, founder)
    assert booking.status == BookingStatus.REQUESTED
    assert booking.requested_by == founder.user
    notices = Notification.objects.filter(kind="booking.requested", object_id=booking.pk)
    assert {notice.recipient for notice in notices} == {owner.user, colleague.user}
    assert AuditEntry.objects.filter(action="sitebooking.requested", actor=founder.user).exists()


@pytest.mark.django_db
def test_approval_and_refusal_notify_the_startups_members():
    site, owner, _colleague, (founder, other) = make_world()
    first, second = request(site, founder, days=2), request(site, other, days=5)

    bookings.booking_approve(booking=first, actor=owner.user)
    first.refresh_from_db()
    assert (first.status, first.decided_by) == (BookingStatus.APPROVED, owner.user)
    assert first.decided_at is not None
    recipients = {n.recipient for n in Notification.objects.filter(kind="booking.decided", object_id=first.pk)}
    assert recipients == {membership.user for membership in founder.startup.memberships.all()}
    assert len(recipients) == 2

    with pytest.raises(bookings.BookingRefused) as refusal:
        bookings.booking_refuse(booking=second, actor=owner.user, reason="  ")
    assert refusal.value.details["reason_code"] == "no_reason"
    bookings.booking_refuse(booking=second, actor=owner.user, reason="Works on the line that week.")
    second.refresh_from_db()
    assert (second.status, second.reason) == (BookingStatus.REFUSED, "Works on the line that week.")
    assert Notification.objects.filter(kind="booking.decided", object_id=second.pk).count() == 2
    assert AuditEntry.objects.filter(action="sitebooking.refused", object_id=str(second.pk)).exists()


@pytest.mark.django_db
def test_cancel_frees_the_period_and_tells_the_partner():
    site, owner, _colleague, (founder, other) = make_world()
    first = request(site, founder)
    bookings.booking_approve(booking=first, actor=owner.user)
    bookings.booking_cancel(booking=first, actor=founder.user)
    first.refresh_from_db()
    assert first.status == BookingStatus.CANCELLED
    assert Notification.objects.filter(kind="booking.cancelled", object_id=first.pk).count() == 2
    again = request(site, other)
    bookings.booking_approve(booking=again, actor=owner.user)
    assert SiteBooking.objects.filter(status=BookingStatus.APPROVED).get() == again


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"hours": -2}, "ends_before_start"),
        ({"hours": 0}, "ends_before_start"),
        ({"days": 200}, "outside_availability"),
        ({"days": 119, "hours": 72}, "outside_availability"),
        ({"purpose": "   "}, "no_purpose"),
    ],
)
def test_bad_requests_are_refused_and_store_nothing(values, code):
    site, _owner, _colleague, (founder, _other) = make_world()
    with pytest.raises(bookings.BookingRefused) as refusal:
        request(site, founder, **values)
    assert refusal.value.details["reason_code"] == code
    assert not SiteBooking.objects.exists()
    assert not Notification.objects.filter(kind="booking.requested").exists()
    assert AuditEntry.objects.filter(action="sitebooking.refused").count() == 1


@pytest.mark.django_db
def test_only_members_of_selected_startups_may_request():
    site, _owner, _colleague, _founders = make_world()
    not_selected = StartupMembershipFactory.create()
    hidden_edition = SelectionFactory.create(program=ProgramFactory.create(is_published=False))
    hidden = StartupMembershipFactory.create(startup=hidden_edition.startup)
    for founder in (not_selected, hidden):
        with pytest.raises(bookings.BookingRefused) as refusal:
            request(site, founder)
        assert refusal.value.details["reason_code"] == "not_selected"
    assert not SiteBooking.objects.exists()


@pytest.mark.django_db
def test_only_the_sites_partner_may_decide():
    site, _owner, _colleague, (founder, _other) = make_world()
    booking = request(site, founder)
    stranger = PartnerMembershipFactory.create()
    with pytest.raises(bookings.BookingRefused):
        bookings.booking_approve(booking=booking, actor=stranger.user)
    with pytest.raises(bookings.BookingRefused):
        bookings.booking_approve(booking=booking, actor=founder.user)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


@pytest.mark.django_db
def test_overlapping_approval_is_refused_naming_the_approved_booking():
    site, owner, _colleague, (founder, other) = make_world()
    first, second = request(site, founder, days=2, hours=4), request(site, other, days=2, hours=8)
    bookings.booking_approve(booking=first, actor=owner.user)
    with pytest.raises(bookings.BookingRefused) as refusal:
        bookings.booking_approve(booking=second, actor=owner.user)
    assert refusal.value.details["reason_code"] == "overlap"
    assert f"#{first.pk}" in str(refusal.value)
    second.refresh_from_db()
    assert second.status == BookingStatus.REQUESTED
    # A new request for an already approved period is refused at once.
    with pytest.raises(bookings.BookingRefused) as refusal:
        request(site, other, days=2, hours=1)
    assert refusal.value.details["reason_code"] == "overlap"
    # Back to back is no overlap (half-open periods).
    starts_at = first.ends_at
    adjacent = bookings.booking_request(
        site=site,
        startup=other.startup,
        actor=other.user,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        purpose="Right after.",
    )
    bookings.booking_approve(booking=adjacent, actor=owner.user)
    assert SiteBooking.objects.filter(status=BookingStatus.APPROVED).count() == 2


@pytest.mark.django_db
def test_the_database_refuses_overlapping_approved_bookings():
    site, owner, _colleague, (founder, other) = make_world()
    first, second = request(site, founder), request(site, other)
    bookings.booking_approve(booking=first, actor=owner.user)
    with pytest.raises(IntegrityError), transaction.atomic():
        SiteBooking.objects.filter(pk=second.pk).update(status=BookingStatus.APPROVED)


@pytest.mark.django_db
def test_a_constraint_refusal_becomes_the_same_message():
    """When a concurrent approval commits between the check and the write, the constraint's refusal is turned into
    the message naming the booking that won (the check is skipped here to take that path in one thread)."""
    site, owner, _colleague, (founder, other) = make_world()
    first, second = request(site, founder), request(site, other)
    bookings.booking_approve(booking=first, actor=owner.user)
    real = bookings._approved_conflict
    conflict = real(second)
    with (
        mock.patch.object(bookings, "_approved_conflict", side_effect=[None, conflict]),
        pytest.raises(bookings.BookingRefused) as refusal,
    ):
        bookings.booking_approve(booking=second, actor=owner.user)
    assert refusal.value.details["reason_code"] == "overlap"
    assert f"#{first.pk}" in str(refusal.value)
    second.refresh_from_db()
    assert second.status == BookingStatus.REQUESTED


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_of_overlapping_bookings_exactly_one_succeeds():
    site, owner, colleague, (founder, other) = make_world()
    first, second = request(site, founder, hours=6), request(site, other, hours=3)
    barrier = threading.Barrier(2, timeout=10)
    outcomes: dict[int, str] = {}

    def approve(booking, person):
        try:
            barrier.wait()
            bookings.booking_approve(booking=booking, actor=person)
            outcomes[booking.pk] = "approved"
        except bookings.BookingRefused as refusal:
            outcomes[booking.pk] = refusal.details["reason_code"]
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(first, owner.user)),
        threading.Thread(target=approve, args=(second, colleague.user)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == ["approved", "overlap"]
    statuses = sorted(SiteBooking.objects.values_list("status", flat=True))
    assert statuses == [BookingStatus.APPROVED, BookingStatus.REQUESTED]
    assert Notification.objects.filter(kind="booking.decided").count() == 2  # the winner's two founders


# --- Pages ----------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_request_page_then_partner_decides(client):
    site, owner, _colleague, (founder, _other) = make_world()
    client.force_login(founder.user)
    url = f"/startups/{founder.startup.slug}/bookings/new/"
    assert client.get(url).status_code == 200
    starts_at, ends_at = period(3)
    local = timezone.localtime
    data = {
        "site": site.pk,
        "starts_at": local(starts_at).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": local(ends_at).strftime("%Y-%m-%dT%H:%M"),
        "purpose": "Counting passengers.",
    }
    response = client.post(url, {**data, "ends_at": local(starts_at - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 400
    assert not SiteBooking.objects.exists()
    response = client.post(url, data)
    booking = SiteBooking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/startups/bookings/{booking.pk}/"
    assert client.get(f"/startups/{founder.startup.slug}/bookings/").status_code == 200
    assert client.post(f"/startups/bookings/{booking.pk}/decide/", {"decision": "approve"}).status_code == 404

    client.force_login(owner.user)
    assert client.get("/startups/bookings/partner/casa-tram/").status_code == 200
    assert client.get(f"/startups/bookings/{booking.pk}/").status_code == 200
    client.post(f"/startups/bookings/{booking.pk}/decide/", {"decision": "approve"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED


@pytest.mark.django_db
def test_booking_pages_are_404_for_others(client):
    site, _owner, _colleague, (founder, other) = make_world()
    booking = request(site, founder)
    not_selected = StartupMembershipFactory.create()
    stranger = PartnerMembershipFactory.create()
    for user, url in [
        (other.user, f"/startups/bookings/{booking.pk}/"),
        (stranger.user, f"/startups/bookings/{booking.pk}/"),
        (stranger.user, "/startups/bookings/partner/casa-tram/"),
        (not_selected.user, f"/startups/{not_selected.startup.slug}/bookings/new/"),
        (other.user, f"/startups/{founder.startup.slug}/bookings/"),
    ]:
        client.force_login(user)
        assert client.get(url).status_code == 404, url
    client.force_login(not_selected.user)
    assert client.get(f"/startups/{not_selected.startup.slug}/bookings/").status_code == 200


@pytest.mark.django_db
def test_booking_lists_query_counts_are_constant(client):
    from tests.utils import assert_constant_queries

    site, owner, _colleague, (founder, _other) = make_world()

    def grow(n):
        while SiteBooking.objects.count() < n:
            request(site, founder, days=1 + SiteBooking.objects.count(), hours=1)

    client.force_login(owner.user)
    assert_constant_queries(client, "/startups/bookings/partner/casa-tram/", grow, at_most=12)
    client.force_login(founder.user)
    assert_constant_queries(client, f"/startups/{founder.startup.slug}/bookings/", grow, at_most=14)


@pytest.mark.django_db
def test_booking_mails_leave_through_the_outbox():
    from tests.utils import send_outbox

    site, owner, colleague, (founder, _other) = make_world()
    booking = request(site, founder)
    bookings.booking_refuse(booking=booking, actor=owner.user, reason="Travaux.")
    sent = send_outbox()
    assert {address for mail in sent for address in mail.to} == {
        owner.user.email,
        colleague.user.email,
        *(membership.user.email for membership in founder.startup.memberships.all()),
    }
    assert all(mail.subject and mail.body for mail in sent)
    assert any("Travaux." in mail.body for mail in sent)
