"""Unhandled errors reach someone (the error tracker when SENTRY_DSN is set, otherwise ADMINS by mail), carry the
request id the logs, the audit log, the X-Request-ID header and the 500 page show, and take no secret with them.

This module is also a test URLconf: the project's URLs plus pages that fail on purpose. The error tracker is a
small HTTP server on the loopback that records what the real sentry-sdk sends it.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import pytest
import sentry_sdk
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import path

from datacity import urls as project_urls
from datacity.audit.context import RequestIdLogFilter
from datacity.celery import app
from datacity.observability import init_sentry, sentry_is_reporting
from tests.factories import UserFactory

logger = logging.getLogger("datacity.tests.error_reporting")

ADMINS = [("Ops", "ops@example.org"), ("On call", "oncall@example.org")]
# What a failing request carries that must never leave with its report.
SECRETS = {
    "password": "pw-hunter2-7f3a",
    "new_password1": "pw-new-91c2",
    "session_cookie": "sess-cookie-5d1e8b",
    "csrf_cookie": "csrfcookie0a4e9c7b21d3f5a6b8c0d2",  # 32 characters: a valid CSRF secret
    "messages_cookie": "messages-cookie-2b9d",  # a cookie whose name says nothing secret
    "authorization": "Bearer auth-header-66ab",
    "file_body": "uploaded-file-body-3e77",
    "file_name": "cv-amina-private.pdf",
    "email": "amina.owner@example.org",
}


def fail(request: HttpRequest) -> HttpResponse:
    """A view that fails the way a real one would, with secrets in its locals and a person's address in the error."""
    new_password = request.POST.get("new_password1", "")  # a local variable an error tracker would capture
    request.user.is_authenticated  # noqa: B018  (the person is loaded, as most views load them)
    logger.warning("failing on purpose, %d characters typed", len(new_password))
    raise RuntimeError(f"A test-only failure for {SECRETS['email']}")


def gone(request: HttpRequest) -> HttpResponse:
    """A 4xx answer returned, not raised: Django logs it after the middleware has returned."""
    return HttpResponse(status=410)


urlpatterns = [
    path("test-fail/", fail),
    path("api/test-fail/", fail),
    path("test-gone/", gone),
    *project_urls.urlpatterns,
]
handler500 = project_urls.handler500


@app.task(name="tests.test_error_reporting.failing_task")
def failing_task(marker: str) -> None:
    raise ValueError(f"A test-only task failure ({marker})")


def post_failing_request(client: Client, url: str = "/test-fail/") -> Any:
    client.cookies["sessionid"] = SECRETS["session_cookie"]
    client.cookies["csrftoken"] = SECRETS["csrf_cookie"]
    client.cookies["messages"] = SECRETS["messages_cookie"]
    upload = SimpleUploadedFile(SECRETS["file_name"], SECRETS["file_body"].encode(), content_type="application/pdf")
    return client.post(
        url,
        {
            "password": SECRETS["password"],
            "new_password1": SECRETS["new_password1"],
            "note": "nothing secret",
            "attachment": upload,
        },
        headers={"authorization": SECRETS["authorization"]},
    )


def assert_no_secret(text: str, *, but: tuple[str, ...] = ()) -> None:
    for name, secret in SECRETS.items():
        if name not in but:
            assert secret not in text, f"the {name} left with the report"


# --- Mail to ADMINS ------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_reporting")
def test_an_unhandled_error_in_a_request_is_mailed_to_admins_with_its_request_id_and_no_secret(settings, mailoutbox):
    settings.ADMINS = ADMINS
    assert not sentry_is_reporting()

    response = post_failing_request(Client(raise_request_exception=False))

    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [address for _, address in ADMINS]
    assert request_id in message.subject
    assert f"[{request_id} user=-]" in message.body  # the log line the mail starts with
    assert "RuntimeError" in message.body
    # The address in the exception's message may reach the admins; nothing the request carried may.
    assert_no_secret(message.subject + message.body, but=("email",))
    assert "nothing secret" in message.body  # the POST data is there, only the sensitive fields are hidden
    assert not message.alternatives


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_reporting")
def test_without_admins_nothing_is_mailed(settings, mailoutbox):
    settings.ADMINS = []
    response = post_failing_request(Client(raise_request_exception=False))
    assert response.status_code == 500
    assert mailoutbox == []


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_reporting")
def test_a_5xx_answer_without_an_exception_is_not_mailed(settings, mailoutbox, client):
    """/health/ answers 503 on purpose while the clock is late: probes every few seconds must not mail anyone."""
    settings.ADMINS = ADMINS
    settings.CLOCK_LATE_SECONDS = 0  # the phase tick never ran in this test database: late
    response = client.get("/health/")
    assert response.status_code == 503
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_a_failed_celery_task_is_mailed_to_admins_with_its_task_id(celery_worker, settings, mailoutbox):
    settings.ADMINS = ADMINS

    result = failing_task.delay("marker-5150")

    deadline = time.monotonic() + 60
    while not mailoutbox and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(mailoutbox) == 1, "the task's failure was not mailed"
    message = mailoutbox[0]
    assert message.to == [address for _, address in ADMINS]
    assert result.id in message.subject
    assert f"[{result.id} user=-]" in message.body  # the task id, as in the task's log lines and audit entries
    assert "ValueError" in message.body
    assert "marker-5150" in message.body


# --- Logs, the 500 page, the X-Request-ID header, the API ------------------------------------------------------


def console_handler() -> logging.Handler:
    """The root logger's handler as LOGGING configures it (the one that writes log lines)."""
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, RequestIdLogFilter) for f in handler.filters):
            return handler
    raise AssertionError("no root handler with the request id filter: LOGGING changed?")


def test_celery_workers_and_beat_keep_djangos_logging(monkeypatch):
    """`celery worker` and `celery beat` set their logging up after Django has applied LOGGING: Celery must not
    replace the root logger's handlers with its own, or task log lines lose their id and failed tasks their mail."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    monkeypatch.setattr(type(app.log), "_setup", False)  # as a starting worker finds it
    try:
        app.log.setup(loglevel="INFO")
        assert root.handlers == handlers
        assert console_handler() in root.handlers
    finally:
        root.handlers[:] = handlers


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_reporting")
def test_log_lines_the_500_page_and_the_header_show_the_same_request_id(caplog):
    user = UserFactory.create()
    client = Client(raise_request_exception=False)
    client.force_login(user)

    with caplog.at_level(logging.INFO):
        response = client.post("/test-fail/", {"new_password1": SECRETS["new_password1"]})

    request_id = response["X-Request-ID"]
    assert response.status_code == 500
    assert f"<code data-request-id>{request_id}</code>" in response.content.decode()
    ours = [r for r in caplog.records if r.name in ("datacity.tests.error_reporting", "django.request")]
    assert {r.name for r in ours} == {"datacity.tests.error_reporting", "django.request"}
    for record in ours:
        assert vars(record)["request_id"] == request_id
        assert vars(record)["user_id"] == str(user.pk)
        line = console_handler().format(record)
        assert f"[{request_id} user={user.pk}]" in line
        assert user.email not in line


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_reporting")
def test_a_response_logged_after_the_middleware_still_carries_its_request_id(caplog, client):
    with caplog.at_level(logging.INFO):
        response = client.get("/test-gone/")
    assert response.status_code == 410
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert vars(record)["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_reporting")
def test_an_api_error_gives_its_request_id_in_the_json():
    response = Client(raise_request_exception=False).get("/api/test-fail/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["request_id"] == response["X-Request-ID"]


# --- The error tracker ---------------------------------------------------------------------------------------


def events_in(envelopes: list[bytes]) -> list[dict]:
    """The error events of the envelopes received (Sentry's envelope format: a header line, then items, each a
    header line and a payload of `length` bytes or up to the end of the line)."""
    events = []
    for body in envelopes:
        stream = io.BytesIO(body)
        stream.readline()  # the envelope's header
        while header_line := stream.readline().strip():
            header = json.loads(header_line)
            if "length" in header:
                payload = stream.read(header["length"])
                stream.readline()
            else:
                payload = stream.readline()
            if header.get("type") == "event":
                events.append(json.loads(payload))
    return events


@pytest.fixture
def fake_sentry() -> Iterator[tuple[int, list[bytes]]]:
    """A stand-in for Sentry's ingestion endpoint on the loopback: records every envelope POSTed to it."""
    envelopes: list[bytes] = []

    class Ingest(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "br":
                import brotli

                body = brotli.decompress(body)
            envelopes.append(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ingest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], envelopes
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def sentry(fake_sentry) -> Iterator[list[bytes]]:
    """sentry-sdk started as production settings start it, reporting to the fake endpoint; stopped afterwards so
    that no other test reports anything."""
    port, envelopes = fake_sentry
    try:
        assert init_sentry(dsn=f"http://publickey@127.0.0.1:{port}/1", environment="test", release="datacity@test")
        yield envelopes
    finally:
        sentry_sdk.flush()
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)
    assert not sentry_is_reporting()


def test_without_a_dsn_the_tracker_is_not_started():
    assert init_sentry(dsn="") is False
    assert not sentry_is_reporting()


def through_wsgi(request: WSGIRequest) -> tuple[str, dict[str, str], bytes]:
    """`request` answered by Django's WSGI application, as gunicorn calls it (the test client skips the WSGI layer,
    where sentry-sdk reads the URL, the headers and the cookies)."""
    answer: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Callable[[bytes], object]:
        answer["status"], answer["headers"] = status, dict(headers)
        return lambda data: None

    response = WSGIHandler()(request.environ, start_response)
    try:
        body = b"".join(response)
    finally:
        response.close()
    return str(answer["status"]), cast(dict[str, str], answer["headers"]), body


# transaction=True: the WSGI application closes the database connection at the end of the request, as it does in
# production, which the test transaction of a plain django_db test would not survive.
@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.test_error_reporting")
def test_an_unhandled_error_reaches_the_tracker_tagged_with_its_request_id_and_no_secret(sentry, settings, mailoutbox):
    settings.ADMINS = ADMINS  # the tracker has it: no mail as well
    assert sentry_is_reporting()
    assert not sentry_sdk.get_client().should_send_default_pii()
    factory = RequestFactory()
    factory.cookies["sessionid"] = SECRETS["session_cookie"]
    factory.cookies["csrftoken"] = SECRETS["csrf_cookie"]
    factory.cookies["messages"] = SECRETS["messages_cookie"]
    upload = SimpleUploadedFile(SECRETS["file_name"], SECRETS["file_body"].encode(), content_type="application/pdf")
    request = factory.post(
        "/test-fail/?page=2",
        {"password": SECRETS["password"], "new_password1": SECRETS["new_password1"], "attachment": upload},
        headers={"authorization": SECRETS["authorization"], "x-csrftoken": SECRETS["csrf_cookie"]},
    )

    status, headers, body = through_wsgi(request)
    sentry_sdk.flush()

    assert status.startswith("500 ")
    request_id = headers["X-Request-ID"]
    assert f"<code data-request-id>{request_id}</code>" in body.decode()
    events = events_in(sentry)
    assert len(events) == 1
    event = events[0]
    assert event["tags"]["request_id"] == request_id
    assert event["environment"] == "test"
    assert event["release"] == "datacity@test"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["request"]["url"] == "http://testserver/test-fail/"
    assert event["request"]["query_string"] == "page=2"
    assert event["request"]["method"] == "POST"
    assert_no_secret(json.dumps(event))
    assert mailoutbox == []
