"""Public pages from the cache: anonymous visitors get whole pages from Redis, dropped when what they show changes.

A view opts in with `@public_page` (a function or a class-based view: one decorator, applied in the views modules).
For a GET or HEAD of such a view by an anonymous visitor with no session and no messages cookie, the
`PublicPageCacheMiddleware` answers from the cache before the view runs, or stores the view's answer when it is a
plain 200 that set no cookie, used no CSRF token and is not marked private or no-store.

- **The key**: the language and the page's absolute URL (scheme, host, path and query string).
- **The version** is a number in the cache, bumped when a write is committed: `record()` (the audit log's only way
  in, which every audited service calls) asks for it with `content_changed()`, except for actions that change no
  content (refusals, logins, notifications, exports). An entry records the version it was built at and is served
  only while that is still the current one: both are read in one round trip to Redis. An out-of-date entry is
  replaced when the page is next stored, or expires by its TTL.
- **The time**: an entry lives at most PAGE_CACHE_SECONDS and never past the next boundary of a published edition
  (a phase's start or end, an edition's first day or the day after its last at midnight), since a phase's or an
  edition's status is computed from the dates at request time: a page shows "open" from the start second on.
- **The body** is stored gzipped when that makes it shorter (compressed once, not on every answer), and sent so to
  visitors whose browser accepts gzip, decompressed for the others. A stored page holds no secret (no CSRF token,
  no session), so the compression side channel (BREACH) that `AnonymousGZipMiddleware` guards against does not apply.
- **The cost of a hit** is one round trip to Redis; the project's cache backend (`RedisCache`, below) keeps one
  redis-py client where Django's makes one per call.

Django's own cache middleware (`cache_page`, Update/FetchFromCacheMiddleware) is not used as it is: it would store
members' pages too (keyed by their cookies), keys on every cookie a visitor carries, knows no content version and
gives every entry the same lifetime. The pieces that fit are reused (`patch_vary_headers`, `patch_cache_control`,
`get_max_age`, `cc_delim_re`).
"""

from __future__ import annotations

import gzip
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
from django.core.cache.backends import redis as django_redis
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.utils import timezone, translation
from django.utils.cache import cc_delim_re, patch_cache_control, patch_vary_headers
from django.utils.text import compress_string

V = TypeVar("V")

VERSION_KEY = "pagecache:version"
# The headers a stored page keeps; the rest (request id, security headers, CSP, Content-Language...) are added again
# by the middleware around this one on every answer.
_KEPT_HEADERS = frozenset({"content-type", "content-disposition", "x-robots-tag"})
# Audit actions that change nothing a public page shows: a refusal (rolled back, and some are triggered by
# anonymous visitors, who must not be able to empty the cache), a login or logout, notifications, exports.
_NOT_CONTENT_PREFIXES = ("auth.", "notification.", "notifications.", "phase.reminder_")
_NOT_CONTENT_SUFFIXES = ("refused", "exported")
# A draft's answers and files are its startup's alone (public counts leave drafts out): saving one, thousands of
# times in a call's last minute, must not empty the cache the visitors of that minute are served from.
_NOT_CONTENT_ACTIONS = frozenset({"application.draft_saved", "application.file_added"})


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
    return not (
        action in _NOT_CONTENT_ACTIONS
        or action.startswith(_NOT_CONTENT_PREFIXES)
        or action.endswith(_NOT_CONTENT_SUFFIXES)
    )


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


def page_key(request: HttpRequest) -> str:
    url = request.build_absolute_uri()  # scheme, validated host, path and query string
    digest = hashlib.sha256(url.encode()).hexdigest()
    return f"pagecache:page:{translation.get_language()}:{digest}"


def accepts_gzip(request: HttpRequest) -> bool:
    return bool(re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))


def gzipped(content: bytes) -> bytes | None:
    """The body as `AnonymousGZipMiddleware` would send it, or None where Django's gzip would leave it as it is."""
    if len(content) < 200:
        return None
    compressed = compress_string(content, max_random_bytes=GZipMiddleware.max_random_bytes)
    return compressed if len(compressed) < len(content) else None


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
        and not response.has_header("Content-Encoding")
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
            key, version, started = state
            if storable(request, response):
                self._store(response, key, version, started)
            self._mark(response, "miss")
        return response

    def process_view(self, request: HttpRequest, view_func: Callable[..., Any], view_args, view_kwargs):
        if settings.PAGE_CACHE_SECONDS <= 0 or not is_public_page(view_func):
            return None
        if request.method not in ("GET", "HEAD") or _has_private_cookie(request) or request.user.is_authenticated:
            request._page_cache = "bypass"  # type: ignore[attr-defined]
            return None
        # One round trip for the current version and the entry. The version and the clock are read before the view
        # runs: a page rendered while a write commits is stored under the version it may predate, which the write
        # has already replaced.
        key = page_key(request)
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY)
        if version is None:
            version = content_version()
        entry = found.get(key)
        if entry is None or entry[0] != version:
            request._page_cache = (key, version, timezone.now())  # type: ignore[attr-defined]
            return None
        request._page_cache = "hit"  # type: ignore[attr-defined]
        response = self._answer(request, entry)
        self._mark(response, "hit")
        return response

    @staticmethod
    def _answer(request: HttpRequest, entry: tuple[Any, ...]) -> HttpResponse:
        _version, stored_at, status, headers, content, is_gzipped = entry
        if is_gzipped and not accepts_gzip(request):
            content, is_gzipped = gzip.decompress(content), False
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        if is_gzipped:  # as AnonymousGZipMiddleware sends it, which leaves an answer with a Content-Encoding alone
            response["Content-Encoding"] = "gzip"
            response["Content-Length"] = str(len(content))
            patch_vary_headers(response, ("Accept-Encoding",))
        response["Age"] = str(max(0, int(time.time() - stored_at)))
        return response

    def _store(self, response: HttpResponse, key: str, version: int, started: datetime) -> None:
        boundary = cached_next_boundary(version, started)
        lifetime: float = settings.PAGE_CACHE_SECONDS
        if boundary is not None:
            lifetime = min(lifetime, (boundary - timezone.now()).total_seconds())
        lifetime = math.floor(lifetime)  # Redis counts whole seconds: rounding down never outlives the boundary
        if lifetime < 1:
            return
        headers = [(name, value) for name, value in response.items() if name.lower() in _KEPT_HEADERS]
        content = response.content
        compressed = gzipped(content)
        entry = (version, time.time(), response.status_code, headers, compressed or content, compressed is not None)
        cache.set(key, entry, lifetime)

    @staticmethod
    def _mark(response: HttpResponse, outcome: str) -> None:
        response["X-Cache"] = outcome
        # The page depends on the visitor being anonymous (no session cookie) and on the language.
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        if outcome != "bypass":
            # Browsers may keep it but must ask again (a person who logs in must not see the anonymous page from
            # their browser's cache); shared caches must not keep it.
            patch_cache_control(response, private=True, no_cache=True)


# --- The cache backend ----------------------------------------------------------------------------------------


class _RedisCacheClient(django_redis.RedisCacheClient):
    """Django's, keeping one redis-py client per connection pool instead of making one for every cache call.

    A redis-py client holds no connection (its pool does) but builds its table of about 170 reply parsers when made:
    that cost as much as the round trip itself on a cached page's path, where one `get_many` is all the work.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[Any, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own attributes, which django-stubs does not declare.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(django_redis.RedisCache):
    """The project's cache backend (CACHES): Django's Redis cache with `_RedisCacheClient`."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _RedisCacheClient


class AnonymousGZipMiddleware(GZipMiddleware):
    """Django's gzip, only for answers that hold no secret (BREACH): anonymous visitors, no CSRF token used.

    A signed-in person's page carries their data and a CSRF token beside text they can make the page reflect; it is
    sent uncompressed. Static files are compressed ahead of time by WhiteNoise, above this middleware, and a page
    from the cache comes gzipped already (`PublicPageCacheMiddleware`): both carry a Content-Encoding, left alone.
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if csrf_token_used(request) or (user is not None and user.is_authenticated):
            return response
        return super().process_response(request, response)
