"""/health/: 200 when the database, Redis and the clock are well, 503 with the failing part named otherwise; never a
session, a cookie, a cached answer or an audit entry."""

import socket
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from datacity.audit.models import AuditEntry
from datacity.notifications.models import CLOCK_HEARTBEAT, Heartbeat
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def tick(seconds_ago: float) -> Heartbeat:
    at = timezone.now() - timedelta(seconds=seconds_ago)
    return Heartbeat.objects.update_or_create(name=CLOCK_HEARTBEAT, defaults={"last_run_at": at})[0]


def test_all_is_well(client):
    heartbeat = tick(30)

    response = client.get("/health/")

    assert response.status_code == 200
    answer = response.json()
    clock = answer.pop("clock")
    assert answer == {"database": "ok", "redis": "ok", "status": "ok"}
    assert (clock["last_tick"], clock["late"]) == (heartbeat.last_run_at.isoformat(), False)
    assert 30 <= clock["seconds_ago"] <= 40
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies
    assert not AuditEntry.objects.exists()


def test_a_late_clock_is_an_error(client, settings):
    settings.CLOCK_LATE_SECONDS = 300
    tick(301)

    response = client.get("/health/")

    assert response.status_code == 503
    answer = response.json()
    assert answer["clock"]["late"] is True
    assert answer["clock"]["seconds_ago"] >= 301
    assert (answer["database"], answer["redis"], answer["status"]) == ("ok", "ok", "error")


def test_a_clock_that_never_ran_is_an_error(client):
    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["clock"] == {"last_tick": None, "seconds_ago": None, "late": True}
    assert response.json()["status"] == "error"


def test_redis_unreachable_is_an_error_not_a_crash(client, settings):
    tick(0)
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json() | {"clock": None} == {"database": "ok", "redis": "error", "clock": None, "status": "error"}


def test_a_person_logged_in_gets_the_same_answer_without_a_new_cookie():
    tick(0)
    client = Client()
    client.force_login(UserFactory.create(is_staff=True, totp=False))  # staff sent to enrol anywhere else

    response = client.get("/health/")

    assert response.status_code == 200
    assert not response.cookies
    assert client.post("/health/").status_code == 405
