"""The notices about the bookings of partners' experimentation sites (sent by startups.bookings).

Declared here, in the app that owns the sites, so that autodiscovery knows them before the first request and the
dispatcher, the notification centre and the preferences page all find them."""

from django.utils.translation import gettext_lazy as _

from datacity.notifications.kinds import Kind, register

BOOKING_REQUESTED = register(
    Kind(
        "booking.requested", _("A startup asks to book one of your experimentation sites"), related=("site", "startup")
    )
)
BOOKING_CANCELLED = register(
    Kind("booking.cancelled", _("A startup cancels a booking of one of your sites"), related=("site", "startup"))
)
BOOKING_DECIDED = register(
    Kind(
        "booking.decided",
        _("A partner approves or refuses a booking of your startup"),
        optional=False,
        related=("site__partner", "startup"),
    )
)
