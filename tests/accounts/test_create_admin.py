"""`manage.py create_admin`: the first administrator can log in at once (verified address), then enrols 2FA."""

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.urls import reverse

from datacity.accounts.models import User
from datacity.audit.models import AuditEntry

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-admin-passphrase-2027"


def test_the_first_administrator_logs_in_and_is_sent_to_two_factor_enrolment(client, monkeypatch):
    monkeypatch.setenv("DATACITY_ADMIN_PASSWORD", PASSWORD)

    call_command("create_admin", "Admin@City.example.org", full_name="Program manager")

    user = User.objects.get(email="admin@city.example.org")
    assert user.is_staff
    assert user.is_superuser
    assert EmailAddress.objects.get(user=user).verified
    assert AuditEntry.objects.get(action="accounts.admin_created").actor_email == "system:create_admin"
    response = client.post(reverse("account_login"), {"login": "admin@city.example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("my_space")).url.startswith(reverse("mfa_activate_totp"))


def test_a_weak_password_or_a_bad_address_is_refused(monkeypatch):
    monkeypatch.setenv("DATACITY_ADMIN_PASSWORD", "short")
    with pytest.raises(CommandError):
        call_command("create_admin", "admin@city.example.org")
    monkeypatch.setenv("DATACITY_ADMIN_PASSWORD", PASSWORD)
    with pytest.raises(CommandError):
        call_command("create_admin", "not an address")
    assert not User.objects.exists()
