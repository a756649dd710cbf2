"""Where unhandled errors go: an error tracker (Sentry, or GlitchTip which speaks its protocol) when SENTRY_DSN is set,
otherwise a mail to ADMINS; and what may leave with them (no password, cookie, token, uploaded file or address).

Each error carries the request id the audit log and the logs use (the task id in a Celery task), so that one
reference quoted by a person, shown on the 500 page and in the X-Request-ID header, finds the error, its log lines
and the audit entries of the same request.

Error mails do not go through the notification outbox (datacity.notifications): the outbox lives in the database,
and these mails must leave when the database is what failed; they are for the people running the platform, not
notices to its users, and an error in the outbox's own dispatcher must not be reported through that dispatcher.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from datacity.audit.context import current, user_id_of

FILTERED = "[Filtered]"
# Names of values that never leave: passwords (password1, oldpassword...), secrets, tokens, session and CSRF cookies,
# authorisation headers, API keys, signatures, DSNs. Matched anywhere in the name, whatever the case.
SENSITIVE_NAME = re.compile(
    r"pass|pwd|secret|token|session|csrf|cookie|authori[sz]ation|api[-_]?key|private[-_]?key|signature|credential"
    r"|\bdsn\b|_dsn",
    re.IGNORECASE,
)
# Enough to catch addresses in error messages and log lines ("no account for amina@example.org").
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
REDACTED_EMAIL = "[email]"
# A URL's password (redis://:secret@host, postgres://user:secret@host) in a setting or an environment variable.
URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/@:\s]*:)[^/@\s]+(?P<tail>@)", re.IGNORECASE)


# --- The error tracker -----------------------------------------------------------------------------------------


def _scrub(value: Any, *, key: str = "") -> Any:
    """`value` with every entry under a sensitive name replaced and every email address blanked, at any depth."""
    if key and SENSITIVE_NAME.search(key):
        return FILTERED
    if isinstance(value, dict):
        return {k: _scrub(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, str):
        return EMAIL_ADDRESS.sub(REDACTED_EMAIL, URL_PASSWORD.sub(r"\g<head>" + FILTERED + r"\g<tail>", value))
    return value


def _scrub_query_string(query: Any) -> Any:
    """A query string with the values of sensitive parameters replaced (?token=..., ?key=...)."""
    if not isinstance(query, str) or not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(name, FILTERED if SENSITIVE_NAME.search(name) else _scrub(value)) for name, value in pairs])


def before_send(event: Any, hint: Any) -> Any:
    """The last look at an event before it leaves: tagged with the request id, then scrubbed.

    Sentry's own scrubber (kept on, see `init_sentry`) replaces values whose name is exactly one of its list; this
    also catches names that merely contain one (`password1`, `new_password`, `X-CSRFToken`), nested values, the
    query string, and email addresses in messages, exception values, breadcrumbs and frames' variables.
    """
    context = current()
    if context.request_id:
        # The audit log's `request_id`, the X-Request-ID header and the logs' `[...]` carry the same id.
        event.setdefault("tags", {})["request_id"] = context.request_id
    if (user_id := user_id_of(context.user)) is not None:
        event["user"] = {"id": user_id}  # the id only: never the address, the name or the IP address
    else:
        event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        request.pop("data", None)  # what a person typed: never sent (max_request_body_size="never" says the same)
        request["query_string"] = _scrub_query_string(request.get("query_string"))
    scrubbed = _scrub({k: v for k, v in event.items() if k != "tags"})
    scrubbed["tags"] = event.get("tags", {})
    return scrubbed


def init_sentry(*, dsn: str, environment: str = "", release: str = "", traces_sample_rate: float = 0.0) -> bool:
    """Start reporting to the error tracker at `dsn`; with no DSN, nothing is initialised and nothing is sent.

    Called by production settings (tests and `make run` never report). Returns whether reporting started.
    """
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # No personal data: send_default_pii is left unset, which is off (recent sentry-sdk releases deprecate
        # setting it at all and warn). No user, cookies or client address from the integrations, and no bodies.
        max_request_body_size="never",
        # Sentry's scrubber, on every level of the event, with allauth's and Django's password field names.
        event_scrubber=EventScrubber(
            denylist=[*DEFAULT_DENYLIST, "password1", "password2", "oldpassword", "new_password1", "new_password2"],
            recursive=True,
        ),
        before_send=before_send,
        before_send_transaction=before_send,
        # 0 (the default) turns performance tracing off altogether rather than tracing and sending nothing.
        traces_sample_rate=traces_sample_rate or None,
    )
    return True


def sentry_is_reporting() -> bool:
    """Whether an error tracker receives this process's errors (a client with a DSN is running)."""
    import sentry_sdk

    client = sentry_sdk.get_client()
    return client.is_active() and bool(client.dsn)


# --- Mail to ADMINS --------------------------------------------------------------------------------------------


class SafeReporterFilter(SafeExceptionReporterFilter):
    """Django's filter for error reports (hides settings named like secrets, the session cookie, the POST fields
    its views mark sensitive), and more: every cookie, POST fields named like a password or a token whatever the
    view says, DSNs, and the passwords in URLs (REDIS_URL, CACHES, a DATABASE_URL in the environment)."""

    hidden_settings = re.compile(SafeExceptionReporterFilter.hidden_settings.pattern + "|DSN|CSRF|SESSION", re.I)

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            return URL_PASSWORD.sub(r"\g<head>" + self.cleansed_substitute + r"\g<tail>", cleansed)
        return cleansed

    def get_safe_cookies(self, request: Any) -> dict[str, Any]:
        # Cookies are the session, the CSRF token and the language: no value helps to read a traceback.
        return dict.fromkeys(getattr(request, "COOKIES", {}), self.cleansed_substitute)

    def get_post_parameters(self, request: Any) -> Any:
        parameters = super().get_post_parameters(request)
        if request is None or not self.is_active(request):
            return parameters
        parameters = parameters.copy()
        for name in list(parameters):
            if SENSITIVE_NAME.search(name):
                parameters[name] = self.cleansed_substitute
        return parameters


class SafeExceptionReporter(ExceptionReporter):
    """Django's error report, naming uploaded files by size only (never their content or their name) and the person
    by id only (never the address)."""

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        if self.request is not None:
            data["request_FILES_items"] = [
                (field, ", ".join(f"<a file of {upload.size} bytes>" for upload in uploads))
                for field, uploads in self.request.FILES.lists()
            ]
            user_id = user_id_of(getattr(self.request, "user", None))
            data["user_str"] = f"user #{user_id}" if user_id is not None else None
        return data


class AdminErrorEmailHandler(AdminEmailHandler):
    """Django's mail to ADMINS, only while no error tracker receives the errors, with the request (or task) id in
    the subject. A response a view chose to give with a 5xx status (/health/'s 503) is logged, not mailed: only
    exceptions are."""

    _request_id = ""

    def emit(self, record: logging.LogRecord) -> None:
        if sentry_is_reporting():
            return
        if record.name == "django.request" and not record.exc_info:
            return
        # Set by the request id filter on this handler; emit runs under the handler's lock, one record at a time.
        self._request_id = getattr(record, "request_id", "-")
        super().emit(record)

    def format_subject(self, subject: str) -> str:
        subject = super().format_subject(subject)
        return f"{subject} [{self._request_id}]" if self._request_id not in ("", "-") else subject
