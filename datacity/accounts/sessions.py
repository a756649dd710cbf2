"""Idle and absolute limits of a signed-in session, stricter for staff and jurors (settings SESSION_*_TIMEOUT_*).

The login (Django's `user_logged_in`, sent by allauth once every stage, two-factor included, is passed) writes when
the session started and when it was last used; the middleware ends a session past either limit. Only timestamps in
the session: no table, no query on the ordinary request.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.backends.base import SessionBase
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from datacity.audit.services import record
from datacity.errors import API_PREFIX

# Unix seconds (the session is JSON): when the person logged in, and when the session last served a request.
STARTED_KEY = "datacity_session_started"
SEEN_KEY = "datacity_session_seen"
# The last use is written at most once a minute: requests close together write no session (pages keep their query
# counts) and the idle limit holds to within a minute.
SEEN_RESOLUTION_SECONDS = 60
# Pages that an ended session reaches as an anonymous visitor instead of being sent to the login page: the login
# page itself, logging out (already done), the language switch and the health check.
ANONYMOUS_URL_NAMES = {"account_login", "account_logout", "set_language", "health"}


@dataclass(frozen=True)
class Limits:
    idle: int  # seconds without a request
    absolute: int  # seconds since the login, however active the session


def everyone() -> Limits:
    return Limits(idle=settings.SESSION_IDLE_TIMEOUT_SECONDS, absolute=settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS)


def staff_and_jurors() -> Limits:
    return Limits(
        idle=settings.SESSION_IDLE_TIMEOUT_SECONDS_STAFF_JURY,
        absolute=settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS_STAFF_JURY,
    )


def limits_for(user: Any) -> Limits:
    """Staff, superusers and jurors (the Jury group, which follows jury memberships) are the people who must use
    two-factor authentication (`requires_mfa`): the same people get the stricter limits."""
    return staff_and_jurors() if user.is_superuser or user.requires_mfa else everyone()


def session_start(session: SessionBase, now: int) -> None:
    session[STARTED_KEY] = session[SEEN_KEY] = now


@receiver(user_logged_in, dispatch_uid="accounts_session_start")
def start_on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # The absolute limit counts from here, after the last stage of the login (password, then two-factor).
    if request is not None and hasattr(request, "session"):
        session_start(request.session, int(timezone.now().timestamp()))


def limit_passed(session: SessionBase, user: Any, now: int) -> str | None:
    """The limit the session is past for `user` ("idle" or "absolute"), or None."""
    idle_for, age = now - session[SEEN_KEY], now - session[STARTED_KEY]
    # Under the shorter of both sets of limits, who the person is does not matter: nothing is asked of the database.
    # Past it, `requires_mfa` may cost one query, which the two-factor middleware makes anyway on the same user.
    shortest = (everyone(), staff_and_jurors())
    if idle_for <= min(limits.idle for limits in shortest) and age <= min(limits.absolute for limits in shortest):
        return None
    if not user.is_authenticated:  # the account was deactivated or its password changed: Django already ended it
        return None
    limits = limits_for(user)
    if age > limits.absolute:
        return "absolute"
    if idle_for > limits.idle:
        return "idle"
    return None


def goes_on_anonymous(request: HttpRequest) -> bool:
    """Whether a page asked for by an ended session is shown as to an anonymous visitor rather than the login page:
    paths that are no page (a 404) and ANONYMOUS_URL_NAMES."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return True
    return match.url_name in ANONYMOUS_URL_NAMES


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat()


class SessionTimeoutMiddleware:
    """Ends a signed-in session past its idle or absolute limit: audited (`auth.session_expired`, with the limit,
    then the `auth.logout` every logout records), logged out, and sent to the login page with `next` and a message.
    Below the authentication, audit context and messages middleware, which it uses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        # An anonymous visitor's session (or none: no cookie, no query) has nothing to time.
        if SESSION_KEY not in session:
            return self.get_response(request)
        now = int(timezone.now().timestamp())
        if STARTED_KEY not in session or SEEN_KEY not in session:
            # A session opened before these limits existed: timed from its first request since.
            session_start(session, now)
        elif limit := limit_passed(session, request.user, now):
            return self.expire(request, limit)
        elif now - session[SEEN_KEY] >= SEEN_RESOLUTION_SECONDS:
            session[SEEN_KEY] = now
        return self.get_response(request)

    def expire(self, request: HttpRequest, limit: str) -> HttpResponse:
        user, session = request.user, request.session
        record(
            action="auth.session_expired",
            actor=user,
            obj=user,  # type: ignore[arg-type]
            limit=limit,
            logged_in_at=_iso(session[STARTED_KEY]),
            last_request_at=_iso(session[SEEN_KEY]),
        )
        logout(request)
        if request.path.startswith(API_PREFIX):
            return self.get_response(request)  # the API answers anonymous visitors: no message, no redirect
        messages.info(request, _("Your session expired: sign in again."))
        if goes_on_anonymous(request):
            return self.get_response(request)
        return redirect_to_login(request.get_full_path())
