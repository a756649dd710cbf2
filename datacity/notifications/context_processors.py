"""The unread count in every page's header: counted only when a template reads it, and only for a logged-in person."""

from django.http import HttpRequest
from django.utils.functional import cached_property

from .models import Notification


class UnreadNotifications:
    """`{{ unread_notifications.count }}`: one query the first time a template reads it, none otherwise.

    The person is looked at only then too, so a page that never shows the header (or an anonymous visitor's, whose
    header does not ask) costs nothing.
    """

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def count(self) -> int:
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return Notification.objects.for_centre(user).unread().count()


def unread_notifications(request: HttpRequest) -> dict[str, UnreadNotifications]:
    return {"unread_notifications": UnreadNotifications(request)}
