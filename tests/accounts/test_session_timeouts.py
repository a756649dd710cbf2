"""Idle and absolute session timeouts: an ended session is logged out, audited and sent to log in again; staff and
jurors get the stricter limits; the API treats an ended session as an anonymous visitor."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from challenges.services import jury_role_sync
from datacity.accounts.sessions import SEEN_KEY, STARTED_KEY
from datacity.audit.models import AuditEntry
from tests.factories import JuryMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

MINUTE, HOUR = 60, 60 * 60
ME = "/en/me/"
LOGIN = "/en/accounts/login/"


def now() -> int:
    return int(timezone.now().timestamp())


def age_session(client, *, logged_in_ago: int, last_request_ago: int) -> None:
    """Move the session's login and last request back in time, as the hours passing would."""
    session = client.session
    session[STARTED_KEY] = now() - logged_in_ago
    session[SEEN_KEY] = now() - last_request_ago
    session.save()


def founder():
    return UserFactory.create()


def staff():
    return UserFactory.create(is_staff=True)  # with two-factor, as the factory gives staff


def juror(**kwargs):
    user = UserFactory.create(**{"totp": True, **kwargs})
    JuryMembershipFactory.create(user=user)
    jury_role_sync(user)
    return user


def assert_sent_to_log_in(client, response) -> None:
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={ME}"
    assert "_auth_user_id" not in client.session
    login_page = client.get(response["Location"])
    assert "Your session expired: sign in again." in login_page.content.decode()
    # The next page is an anonymous visitor's: My space asks to log in again.
    assert client.get(ME)["Location"].startswith(LOGIN)


def test_a_session_idle_past_its_limit_is_logged_out_and_sent_to_log_in(client):
    user = founder()
    client.force_login(user)
    age_session(client, logged_in_ago=3 * HOUR, last_request_ago=settings.SESSION_IDLE_TIMEOUT_SECONDS + MINUTE)

    assert_sent_to_log_in(client, client.get(ME))
    expired = AuditEntry.objects.get(action="auth.session_expired")
    assert expired.actor == user
    assert expired.ip_address == "127.0.0.1"
    assert expired.details["limit"] == "idle"
    assert AuditEntry.objects.filter(action="auth.logout", actor=user).exists()


def test_requests_within_the_idle_limit_keep_the_session_alive(client):
    client.force_login(founder())
    idle = settings.SESSION_IDLE_TIMEOUT_SECONDS
    # Three requests, each shortly before the idle limit: together far longer than it, each one within it.
    for _request in range(3):
        age_session(client, logged_in_ago=3 * idle, last_request_ago=idle - MINUTE)
        assert client.get(ME).status_code == 200
        assert now() - client.session[SEEN_KEY] < MINUTE  # the request counts as activity
    assert not AuditEntry.objects.filter(action="auth.session_expired").exists()


def test_a_jurors_session_ends_at_the_absolute_limit_however_active(client):
    user = juror()
    client.force_login(user)
    assert client.get(ME).status_code == 200
    absolute = settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS_STAFF_JURY
    age_session(client, logged_in_ago=absolute - MINUTE, last_request_ago=10)
    assert client.get(ME).status_code == 200

    age_session(client, logged_in_ago=absolute + MINUTE, last_request_ago=10)
    assert_sent_to_log_in(client, client.get(ME))
    assert AuditEntry.objects.get(action="auth.session_expired", actor=user).details["limit"] == "absolute"


@pytest.mark.parametrize(
    ("logged_in_ago", "last_request_ago"),
    [
        pytest.param(HOUR, 31 * MINUTE, id="idle"),
        pytest.param(5 * HOUR, MINUTE, id="absolute"),
    ],
)
def test_staff_get_the_stricter_limits_where_a_founder_keeps_the_longer_ones(client, logged_in_ago, last_request_ago):
    assert settings.SESSION_IDLE_TIMEOUT_SECONDS_STAFF_JURY < 31 * MINUTE < settings.SESSION_IDLE_TIMEOUT_SECONDS
    assert settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS_STAFF_JURY < 5 * HOUR < settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS

    client.force_login(founder())
    age_session(client, logged_in_ago=logged_in_ago, last_request_ago=last_request_ago)
    assert client.get(ME).status_code == 200

    client.force_login(staff())
    age_session(client, logged_in_ago=logged_in_ago, last_request_ago=last_request_ago)
    assert_sent_to_log_in(client, client.get(ME))


def test_a_superuser_without_the_staff_flag_gets_the_stricter_limits_too(client):
    client.force_login(UserFactory.create(is_superuser=True))
    age_session(client, logged_in_ago=HOUR, last_request_ago=31 * MINUTE)
    assert_sent_to_log_in(client, client.get(ME))


def test_the_limits_are_read_from_the_settings(client, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 5 * MINUTE
    client.force_login(founder())
    age_session(client, logged_in_ago=10 * MINUTE, last_request_ago=4 * MINUTE)
    assert client.get(ME).status_code == 200
    age_session(client, logged_in_ago=10 * MINUTE, last_request_ago=6 * MINUTE)
    assert_sent_to_log_in(client, client.get(ME))


def test_the_api_treats_an_ended_session_as_an_anonymous_visitor(client):
    client.force_login(founder())
    assert client.get("/api/experiments/").status_code == 200
    age_session(client, logged_in_ago=HOUR, last_request_ago=settings.SESSION_IDLE_TIMEOUT_SECONDS + MINUTE)

    response = client.get("/api/experiments/")  # for signed-in people only: refused as to anyone anonymous
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "_auth_user_id" not in client.session
    assert client.get("/api/editions/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.session_expired").count() == 1


def test_an_ended_session_reaching_the_login_page_is_shown_it_with_the_message(client):
    client.force_login(founder())
    age_session(client, logged_in_ago=HOUR, last_request_ago=settings.SESSION_IDLE_TIMEOUT_SECONDS + MINUTE)
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert "Your session expired: sign in again." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_absolute_limit_counts_from_the_end_of_a_two_factor_login(client):
    user = juror(totp=False, verified_email=True)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)

    response = client.post(LOGIN, {"login": user.email, "password": "a-strong-test-password"})
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/2fa/authenticate/"
    assert STARTED_KEY not in client.session  # the password alone logs nobody in

    code = format_hotp_value(hotp_value(secret, now() // 30))
    response = client.post("/en/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk
    assert abs(client.session[STARTED_KEY] - now()) <= 2
    assert client.get(ME).status_code == 200


def test_a_request_within_a_minute_of_the_last_writes_no_session(client):
    client.force_login(founder())
    client.get(ME)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ME).status_code == 200
    assert not [query for query in queries if "django_session" in query["sql"] and "UPDATE" in query["sql"]]

    age_session(client, logged_in_ago=HOUR, last_request_ago=2 * MINUTE)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ME).status_code == 200
    assert len([query for query in queries if "django_session" in query["sql"] and "UPDATE" in query["sql"]]) == 1


def test_a_session_from_before_the_limits_is_timed_from_its_next_request(client):
    client.force_login(founder())
    session = client.session
    del session[STARTED_KEY], session[SEEN_KEY]
    session.save()
    assert client.get(ME).status_code == 200
    assert abs(client.session[STARTED_KEY] - now()) <= 2
