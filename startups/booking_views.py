"""The pages of site bookings: a selected startup's bookings and its request form; a booking's page, where the
startup cancels and the site's partner approves or refuses; the bookings of a partner's sites."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from partners import permissions as partner_permissions

from . import bookings, permissions
from .models import BookingStatus, SiteBooking

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class BookingRequestForm(forms.Form):
    site = forms.ModelChoiceField(label=gettext_lazy("Site"), queryset=bookings.bookable_sites())
    starts_at = forms.DateTimeField(label=gettext_lazy("From"), widget=DATETIME_INPUT)
    ends_at = forms.DateTimeField(label=gettext_lazy("Until"), widget=DATETIME_INPUT)
    purpose = forms.CharField(
        label=gettext_lazy("Purpose"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("What you will test there, with what equipment and how many people."),
    )


class BookingDecisionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (required to refuse)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


@login_required
def startup_bookings(request, slug: str):
    startup = permissions.access_startup(request.user, slug, as_member=True)
    rows = SiteBooking.objects.filter(startup=startup).for_listing()
    context = {"startup": startup, "bookings": rows, "may_request": bookings.may_request(request.user, startup)}
    return render(request, "startups/booking_list.html", context)


@login_required
def booking_request(request, slug: str):
    startup = permissions.access_startup(request.user, slug, as_member=True)
    if not bookings.may_request(request.user, startup):
        raise Http404
    form = BookingRequestForm(request.POST or None, initial={"site": request.GET.get("site")})
    if request.method == "POST" and form.is_valid():
        try:
            booking = bookings.booking_request(
                site=form.cleaned_data["site"],
                startup=startup,
                actor=request.user,
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                purpose=form.cleaned_data["purpose"],
            )
        except bookings.BookingRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Your request is sent to the site's partner."))
            return redirect(booking)
    context = {"startup": startup, "form": form}
    return render(request, "startups/booking_form.html", context, status=400 if form.errors else 200)


@login_required
def booking_detail(request, pk: int):
    booking = bookings.access_booking(request.user, pk)
    is_partner = bookings.bookings_of_partner_member(request.user).filter(pk=booking.pk).exists()
    is_startup = bookings.bookings_of_startup_member(request.user).filter(pk=booking.pk).exists()
    open_statuses = (BookingStatus.REQUESTED, BookingStatus.APPROVED)
    context = {
        "booking": booking,
        "is_partner": is_partner,
        "can_decide": is_partner and booking.status in open_statuses,
        "can_cancel": is_startup and booking.status in open_statuses,
        "decision_form": BookingDecisionForm(),
    }
    return render(request, "startups/booking_detail.html", context)


@login_required
@require_POST
def booking_decide(request, pk: int):
    booking = bookings.access_booking(request.user, pk, as_partner=True)
    form = BookingDecisionForm(request.POST)
    form.is_valid()
    try:
        if request.POST.get("decision") == "approve":
            bookings.booking_approve(booking=booking, actor=request.user)
            messages.success(request, _("The booking is approved; the startup is told."))
        else:
            bookings.booking_refuse(booking=booking, actor=request.user, reason=form.cleaned_data.get("reason", ""))
            messages.success(request, _("The booking is refused; the startup is told."))
    except bookings.BookingRefused as refusal:
        messages.error(request, str(refusal))
    return redirect(booking)


@login_required
@require_POST
def booking_cancel(request, pk: int):
    booking = bookings.access_booking(request.user, pk, as_startup=True)
    try:
        bookings.booking_cancel(booking=booking, actor=request.user)
        messages.success(request, _("The booking is cancelled; the partner is told."))
    except bookings.BookingRefused as refusal:
        messages.error(request, str(refusal))
    return redirect(booking)


@login_required
def partner_bookings(request, partner: str):
    """The bookings of a partner's sites, requested ones first, for its members to decide."""
    organisation = partner_permissions.access_partner(request.user, partner, as_member=True)
    rows = SiteBooking.objects.filter(site__partner=organisation).for_listing()
    return render(request, "startups/booking_partner_list.html", {"partner": organisation, "bookings": rows})
