"""Who is acting, from where, under which request id: set once per request, task or command, read by `record()`.

Services take the acting person (`actor`) and never the HTTP request; the address and the request id an audit
entry carries come from this context, which the middleware sets for web requests and which Celery tasks and
management commands set for themselves (a "system" actor named after the task or command).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import LazyObject, empty

REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"
# An id set by the proxy in front is kept only if it is a plain token: it ends up in logs and in the audit log.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@dataclass(frozen=True)
class AuditContext:
    user: Any = None  # the request's user (possibly lazy, possibly anonymous), or None outside requests
    ip_address: str | None = None
    request_id: str = ""
    system: str = ""  # the task or command acting, when no person is
    path: str = ""  # the page asked for, in a request

    @property
    def actor(self) -> Any:
        """The authenticated person of this context, or None."""
        user = self.user
        return user if user is not None and getattr(user, "is_authenticated", False) else None


_NOBODY = AuditContext()
_current: ContextVar[AuditContext | None] = ContextVar("audit_context", default=None)


def current() -> AuditContext:
    return _current.get() or _NOBODY


def new_request_id() -> str:
    return uuid.uuid4().hex


def bind(context: AuditContext) -> Token[AuditContext | None]:
    return _current.set(context)


def unbind(token: Token[AuditContext | None]) -> None:
    _current.reset(token)


@contextlib.contextmanager
def system_context(name: str, *, request_id: str = "") -> Iterator[AuditContext]:
    """Run a block as the system actor `name` (a Celery task, a management command)."""
    context = AuditContext(system=name, request_id=request_id or new_request_id())
    token = bind(context)
    try:
        yield context
    finally:
        unbind(token)


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse proxies the address the outermost
    of them saw, i.e. the TRUSTED_PROXY_COUNT-th entry of X-Forwarded-For from the right (each proxy appends the
    address it was reached from; entries further left are the client's own word and are never believed).

    allauth's login limits (ALLAUTH_TRUSTED_PROXY_COUNT) and the API's throttles (NUM_PROXIES) count the same way.
    """
    address = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        if len(hops) >= count:
            with contextlib.suppress(ValueError):
                address = str(ipaddress.ip_address(hops[-count]))
    return address


def request_id_of(request: HttpRequest) -> str:
    """The id a trusted proxy gave this request (X-Request-ID), else a new one."""
    incoming = request.META.get(REQUEST_ID_HEADER, "")
    return incoming if _VALID_REQUEST_ID.match(incoming) else new_request_id()


class AuditContextMiddleware:
    """Binds the request's user, address and id for the duration of the request; echoes the id in a header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = request_id_of(request)  # type: ignore[attr-defined]
        token = bind(
            AuditContext(
                user=getattr(request, "user", None),
                ip_address=client_ip(request),
                request_id=request.request_id,  # type: ignore[attr-defined]
                path=request.path,
            )
        )
        try:
            response = self.get_response(request)
        finally:
            unbind(token)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response


def user_id_of(user: Any) -> str | None:
    """The id of `user` if it is a person already loaded, else None: never a query (the request's user is lazy, and
    the database may be what failed), never the address."""
    if user is None or (isinstance(user, LazyObject) and user._wrapped is empty):  # type: ignore[attr-defined]
        return None
    return str(user.pk) if getattr(user, "is_authenticated", False) else None


class RequestIdLogFilter(logging.Filter):
    """Adds the current request (or task) id to every log record, the id the audit log and X-Request-ID carry, and
    the acting person's id (`user_id`, never the address); "-" for either when there is none.

    Django logs a response with an error status (`django.request`, "Not Found: ...") after the middleware has
    returned, outside the context: the id then comes from the request the record carries. Celery logs a task's
    success after the task's context has ended: the id then comes from the task id the record carries.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            context = current()
            request = getattr(record, "request", None)
            data = getattr(record, "data", None)
            task_id = data.get("id") if record.name.startswith("celery.") and isinstance(data, dict) else None
            record.request_id = context.request_id or getattr(request, "request_id", "") or task_id or "-"
            user = context.user if context.user is not None else getattr(request, "user", None)
            record.user_id = user_id_of(user) or "-"
        except Exception:  # a log line must never fail the code that writes it
            record.request_id = getattr(record, "request_id", "-")
            record.user_id = getattr(record, "user_id", "-")
        return True
