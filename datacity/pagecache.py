"""Public pages from the cache: anonymous visitors get whole pages from Redis, dropped when what they show changes.

A view opts in with `@public_page` (a function or a class-based view: one decorator, applied in the views modules).
For a GET or HEAD of such a view by an anonymous visitor with no session and no messages cookie, the
`PublicPageCacheMiddleware` answers from the cache before the view runs, or stores the view's answer when it is a
plain 200 that set no cookie, used no CSRF token and is not marked private or no-store.

- **The key**: a content version, the language, and the page's absolute URL (scheme, host, path and query string).
- **The version** is a number in the cache, bumped when a write is committed: `record()` (the audit log's only way
  in, which every audited service calls) asks for it with `content_changed()`, except for actions that change no
  content (refusals, logins, notifications, exports). Old keys become unreachable and expire by their TTL.
- **The time**: an entry lives at most PAGE_CACHE_SECONDS and never past the next boundary of a published edition
  (a phase's start or end, an edition's first day or the day after its last at midnight), since a phase's or an
  edition's status is computed from the dates at request time: a page shows "open" from the start second on.

Django's own cache middleware (`cache_page`, Update/FetchFromCacheMiddleware) is not used as it is: it would store
members' pages too (keyed by their cookies), keys on every cookie a visitor carries, knows no content version and
gives every entry the same lifetime. The pieces that fit are reused (`patch_vary_headers`, `patch_cache_control`,
`get_max_age`, `cc_delim_re`).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.utils import timezone, translation
from django.utils.cache import cc_delim_re, patch_cache_control, patch_vary_headers

V = TypeVar("V")

VERSION_KEY = "pagecache:version"
# The headers a stored page keeps; the rest (request id, security headers, CSP, Content-Language...) are added again
# by the middleware around this one on every answer.
_KEPT_HEADERS = frozenset({"content-type", "content-disposition", "x-robots-tag"})
# Audit actions that change nothing a public page shows: a refusal (rolled back, and some are triggered by
# anonymous visitors, who must not be able to empty the cache), a login or logout, notifications, exports.
_NOT_CONTENT_PREFIXES = ("auth.", "notification.", "notifications.", "phase.reminder_")
_NOT_CONTENT_SUFFIXES = ("refused", "exported")


def public_page(view: V) -> V:
    """Mark a public page (a view function or a class-based view) as served from the cache to anonymous visitors.

    Only pages whose content depends on nothing but the URL, the language, the published data and the clock's
    phase boundaries: never a form, a member's page, the admin, the API or /health/.
    """
    view.public_page = True  # type: ignore[attr-defined]
    return view


def is_public_page(view_func: Callable[..., Any]) -> bool:
    view_class = getattr(view_func, "view_class", None)  # a class-based view's as_view() function
    return bool(getattr(view_func, "public_page", False) or getattr(view_class, "public_page", False))


# --- The content version ------------------------------------------------------------------------------------------


def content_version() -> int:
    """The current version; created (at the clock's milliseconds, never a value an old key used) when missing."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns() // 1_000_000, timeout=None)
        version = cache.get(VERSION_KEY)
    return int(version)


def bump_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (or evicted): a new one, past any value the old keys used
        cache.add(VERSION_KEY, time.time_ns() // 1_000_000, timeout=None)


def changes_content(action: str) -> bool:
    return not (action.startswith(_NOT_CONTENT_PREFIXES) or action.endswith(_NOT_CONTENT_SUFFIXES))


def content_changed(action: str = "") -> None:
    """Called by `record()` for every audit entry: once the write commits, every stored page is out of date."""
    if changes_content(action):
        transaction.on_commit(bump_version)


# --- The next phase boundary -------------------------------------------------------------------------------------


def _midnight(day: date, zone: Any) -> datetime:
    return datetime.combine(day, clock_time.min, tzinfo=ZoneInfo(str(zone)))


def next_boundary(now: datetime) -> datetime | None:
    """The next instant after `now` at which a published edition's or phase's status changes (one query).

    An edition's status comes from its days in its own time zone, and the home page picks the current edition by
    the day in the platform's zone: both midnights count.
    """
    from django.db.models import Min, Q

    from challenges.models import Program

    days_ago = (now - timedelta(days=2)).date()  # any zone's "today" is within a day of UTC's
    rows = (
        Program.objects.published()
        .annotate(
            next_start=Min("phases__starts_at", filter=Q(phases__starts_at__gt=now)),
            next_end=Min("phases__ends_at", filter=Q(phases__ends_at__gt=now)),
        )
        .filter(Q(next_start__isnull=False) | Q(next_end__isnull=False) | Q(ends_on__gte=days_ago))
        .values_list("starts_on", "ends_on", "time_zone", "next_start", "next_end")
    )
    candidates: list[datetime] = []
    for starts_on, ends_on, zone, next_start, next_end in rows:
        candidates += [instant for instant in (next_start, next_end) if instant is not None]
        for day in (starts_on, ends_on + timedelta(days=1)):
            candidates += [_midnight(day, zone), _midnight(day, settings.TIME_ZONE)]
    return min((instant for instant in candidates if instant > now), default=None)


def cached_next_boundary(version: int, now: datetime) -> datetime | None:
    """`next_boundary`, kept in the cache under the content version (a write may move a date) until it passes."""
    key = f"pagecache:{version}:boundary"
    stored = cache.get(key)
    if stored is not None:
        boundary = datetime.fromtimestamp(stored, tz=UTC) if stored else None
        if boundary is None or boundary > now:
            return boundary
    boundary = next_boundary(now)
    lifetime = settings.PAGE_CACHE_SECONDS
    if boundary is not None:
        lifetime = min(lifetime, math.floor((boundary - now).total_seconds()))
    if lifetime >= 1:
        cache.set(key, boundary.timestamp() if boundary else 0, lifetime)
    return boundary


# --- The middleware --------------------------------------------------------------------------------------------


def page_key(request: HttpRequest, version: int) -> str:
    url = request.build_absolute_uri()  # scheme, validated host, path and query string
    digest = hashlib.sha256(url.encode()).hexdigest()
    return f"pagecache:{version}:{translation.get_language()}:{digest}"


def _has_private_cookie(request: HttpRequest) -> bool:
    return settings.SESSION_COOKIE_NAME in request.COOKIES or CookieStorage.cookie_name in request.COOKIES


def csrf_token_used(request: HttpRequest) -> bool:
    """Whether the answer carries a CSRF token: Django's `get_token()` flags the request for the cookie's renewal
    (the flag is reset once the cookie is set, but stays in META), `CSRF_COOKIE_USED` in Django before 4.1."""
    return "CSRF_COOKIE_NEEDS_UPDATE" in request.META or bool(request.META.get("CSRF_COOKIE_USED"))


def _cache_control(response: HttpResponse) -> set[str]:
    return {part.split("=", 1)[0].strip().lower() for part in cc_delim_re.split(response.get("Cache-Control", ""))}


def storable(request: HttpRequest, response: HttpResponse) -> bool:
    """A plain 200 page with nothing of the visitor in it."""
    return (
        request.method == "GET"
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not csrf_token_used(request)
        and not _cache_control(response) & {"private", "no-store", "no-cache"}
        and _vary_is_known(response)
    )


def _vary_is_known(response: HttpResponse) -> bool:
    """The key covers the language and the absence of a session: a page varying on anything else is not stored."""
    varies = {header.strip().lower() for header in cc_delim_re.split(response.get("Vary", "")) if header.strip()}
    return varies <= {"cookie", "accept-language"}


class PublicPageCacheMiddleware:
    """Serves `@public_page` views to anonymous visitors from the cache, and stores them (see the module's doc).

    Last in MIDDLEWARE: a hit skips only the view, every other middleware still adds its headers to the answer.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        state = getattr(request, "_page_cache", None)
        if state is None:  # not a public page, or the cache is off
            return response
        if state == "bypass":
            self._mark(response, "bypass")
            return response
        if state != "hit":
            version, started = state
            if storable(request, response):
                self._store(request, response, version, started)
            self._mark(response, "miss")
        return response

    def process_view(self, request: HttpRequest, view_func: Callable[..., Any], view_args, view_kwargs):
        if settings.PAGE_CACHE_SECONDS <= 0 or not is_public_page(view_func):
            return None
        if request.method not in ("GET", "HEAD") or _has_private_cookie(request) or request.user.is_authenticated:
            request._page_cache = "bypass"  # type: ignore[attr-defined]
            return None
        # The version and the clock are read before the view runs: a page rendered while a write commits is stored
        # under the version it may predate, which the write has already replaced.
        version, started = content_version(), timezone.now()
        entry = cache.get(page_key(request, version))
        if entry is None:
            request._page_cache = (version, started)  # type: ignore[attr-defined]
            return None
        request._page_cache = "hit"  # type: ignore[attr-defined]
        status, headers, content, stored_at = entry
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        response["Age"] = str(max(0, int(time.time() - stored_at)))
        self._mark(response, "hit")
        return response

    def _store(self, request: HttpRequest, response: HttpResponse, version: int, started: datetime) -> None:
        boundary = cached_next_boundary(version, started)
        lifetime: float = settings.PAGE_CACHE_SECONDS
        if boundary is not None:
            lifetime = min(lifetime, (boundary - timezone.now()).total_seconds())
        lifetime = math.floor(lifetime)  # Redis counts whole seconds: rounding down never outlives the boundary
        if lifetime < 1:
            return
        headers = [(name, value) for name, value in response.items() if name.lower() in _KEPT_HEADERS]
        cache.set(page_key(request, version), (response.status_code, headers, response.content, time.time()), lifetime)

    @staticmethod
    def _mark(response: HttpResponse, outcome: str) -> None:
        response["X-Cache"] = outcome
        # The page depends on the visitor being anonymous (no session cookie) and on the language.
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        if outcome != "bypass":
            # Browsers may keep it but must ask again (a person who logs in must not see the anonymous page from
            # their browser's cache); shared caches must not keep it.
            patch_cache_control(response, private=True, no_cache=True)


class AnonymousGZipMiddleware(GZipMiddleware):
    """Django's gzip, only for answers that hold no secret (BREACH): anonymous visitors, no CSRF token used.

    A signed-in person's page carries their data and a CSRF token beside text they can make the page reflect; it is
    sent uncompressed. Static files are compressed ahead of time by WhiteNoise, above this middleware.
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if csrf_token_used(request) or (user is not None and user.is_authenticated):
            return response
        return super().process_response(request, response)
