"""Accounts through allauth: sign-up with email verification, login limits, two-factor for staff and jury,
CSRF, the admin behind the same login, security headers."""

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from datacity.accounts.models import User
from datacity.accounts.roles import AUDITOR, JURY, PROGRAM_MANAGER
from tests.factories import UserFactory
from tests.utils import group_in_mail, send_outbox

pytestmark = pytest.mark.django_db

PASSWORD = "a-strong-test-password"


def test_sign_up_requires_email_verification_then_logs_in(client):
    response = client.post(
        "/en/accounts/signup/",
        {"email": "founder@example.org", "password1": "Casablanca-2027!", "password2": "Casablanca-2027!"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/confirm-email/"
    assert not client.session.get("_auth_user_id")

    [message] = send_outbox()
    assert message.to == ["founder@example.org"]
    link = group_in_mail(r"https?://[^/\s]+(/\S*/accounts/confirm-email/\S+/)", message)
    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    assert response["Location"].endswith("/me/")
    assert int(client.session["_auth_user_id"]) == User.objects.get(email="founder@example.org").pk


def test_sign_up_with_a_weak_password_re_renders_with_the_input(client):
    response = client.post(
        "/en/accounts/signup/", {"email": "founder@example.org", "password1": "12345", "password2": "12345"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="founder@example.org"' in html
    assert "too short" in html
    assert not User.objects.exists()


def test_login_is_by_email_whatever_its_case(client):
    user = UserFactory.create(email="Amina@Example.org", verified_email=True)
    assert user.email == "amina@example.org"
    response = client.post("/en/accounts/login/", {"login": "AMINA@example.ORG", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id")


def test_the_sixth_failed_login_in_a_row_is_refused_even_with_the_right_password(client):
    UserFactory.create(email="target@example.org", verified_email=True)
    for _attempt in range(5):
        response = client.post("/en/accounts/login/", {"login": "target@example.org", "password": "wrong"})
        assert response.status_code == 200
        assert "not correct" in response.content.decode()
    response = client.post("/en/accounts/login/", {"login": "target@example.org", "password": PASSWORD})
    assert response.status_code in {200, 429}
    assert "Too many failed login attempts" in response.content.decode()
    assert not client.session.get("_auth_user_id")


def test_the_admin_login_is_allauths_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_staff_without_two_factor_are_sent_to_enrolment_everywhere(client):
    staff = UserFactory.create(is_staff=True, totp=False)
    client.force_login(staff)
    for url in ("/admin/", "/me/", "/challenges/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/2fa/totp/activate/"), url
    response = client.get("/challenges/?program=a&theme=b")
    assert response["Location"] == "/accounts/2fa/totp/activate/?next=%2Fchallenges%2F%3Fprogram%3Da%26theme%3Db"
    # Enrolment itself is reachable (allauth first asks for the password again, which is reachable too).
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert client.get(response["Location"]).status_code == 200
    assert client.post("/accounts/logout/").status_code == 302


def test_jury_members_without_two_factor_are_sent_to_enrolment(client):
    juror = UserFactory.create()
    juror.groups.add(Group.objects.get(name=JURY))
    client.force_login(juror)
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate/")


def test_staff_and_jury_with_two_factor_go_where_they_want(client):
    juror = UserFactory.create(totp=True)
    juror.groups.add(Group.objects.get(name=JURY))
    client.force_login(juror)
    assert client.get("/me/").status_code == 200
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    assert client.get("/admin/").status_code == 200


def test_people_without_a_role_need_no_two_factor(client):
    client.force_login(UserFactory.create())
    assert client.get("/me/").status_code == 200


def test_a_post_without_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    UserFactory.create(email="someone@example.org", verified_email=True)
    response = client.post("/en/accounts/login/", {"login": "someone@example.org", "password": PASSWORD})
    assert response.status_code == 403
    assert not client.session.get("_auth_user_id")
    client.force_login(UserFactory.create())
    assert client.post("/en/startups/new/", {"name": "Sneaky"}).status_code == 403


def test_pages_carry_a_content_security_policy_without_inline_scripts(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy
    assert directives["frame-ancestors"] == "'none'"
    html = client.get("/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)


def test_staff_groups_exist_with_the_right_permissions():
    manager = Group.objects.get(name=PROGRAM_MANAGER)
    auditor = Group.objects.get(name=AUDITOR)
    assert manager.permissions.filter(codename="change_challenge").exists()
    assert manager.permissions.filter(codename="view_auditentry").exists()
    assert not manager.permissions.filter(codename="change_auditentry").exists()
    assert auditor.permissions.exists()
    assert not auditor.permissions.exclude(codename__startswith="view_").exists()


def test_an_auditor_reads_the_admin_but_cannot_change_anything(client):
    auditor = UserFactory.create(is_staff=True)
    auditor.groups.add(Group.objects.get(name=AUDITOR))
    client.force_login(auditor)
    assert client.get("/admin/challenges/challenge/").status_code == 200
    assert client.get("/admin/challenges/challenge/add/").status_code == 403


def test_a_program_manager_cannot_grant_themselves_privileges_or_set_passwords(client):
    manager = UserFactory.create(is_staff=True)
    manager.groups.add(Group.objects.get(name=PROGRAM_MANAGER))
    startup_founder = UserFactory.create()
    client.force_login(manager)

    response = client.post(
        f"/admin/accounts/user/{manager.pk}/change/",
        {"email": manager.email, "is_active": "on", "is_staff": "on", "is_superuser": "on"},
    )
    assert response.status_code == 403
    manager.refresh_from_db()
    assert not manager.is_superuser
    assert client.get(f"/admin/accounts/user/{startup_founder.pk}/password/").status_code == 403
    # Ordinary accounts stay editable, without the privilege fields.
    form = client.get(f"/admin/accounts/user/{startup_founder.pk}/change/").context["adminform"].form
    assert "is_superuser" not in form.fields
    assert "groups" not in form.fields


def test_password_reset_sends_a_link_that_sets_a_new_password(client):
    UserFactory.create(email="amina@example.org", verified_email=True)
    client.post("/en/accounts/password/reset/", {"email": "amina@example.org"})
    [message] = send_outbox()
    link = group_in_mail(r"https?://[^/\s]+(/\S*/accounts/password/reset/key/\S+/)", message)
    response = client.get(link)
    assert response.status_code == 302  # allauth moves the key into the session, then shows the form
    response = client.post(response["Location"], {"password1": "Nouveau-mot-2027!", "password2": "Nouveau-mot-2027!"})
    assert response.status_code == 302
    client.logout()
    response = client.post("/en/accounts/login/", {"login": "amina@example.org", "password": "Nouveau-mot-2027!"})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id")
