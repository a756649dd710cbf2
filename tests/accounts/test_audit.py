"""The audit log records what matters and cannot be changed, by the application or in the database."""

import pytest
from django.db import DatabaseError, connection, transaction

from datacity.audit.models import AuditEntry
from datacity.audit.services import record
from tests.factories import StartupFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_logins_and_failed_logins_are_recorded_without_the_password(client):
    user = UserFactory.create(email="amina@example.org", verified_email=True)
    client.post("/en/accounts/login/", {"login": "amina@example.org", "password": "wrong-secret-value"})
    client.post("/en/accounts/login/", {"login": "amina@example.org", "password": "a-strong-test-password"})

    failed = AuditEntry.objects.get(action="auth.login_failed")
    assert failed.actor_email == "amina@example.org"
    assert failed.ip_address == "127.0.0.1"
    assert "wrong-secret-value" not in str(failed.details)
    login = AuditEntry.objects.get(action="auth.login")
    assert login.actor == user


def test_entries_cannot_be_changed_or_deleted_through_the_application():
    entry = record(action="test.event", obj=StartupFactory.create())
    entry.action = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().update(action="rewritten")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().action == "test.event"


def test_entries_cannot_be_changed_or_deleted_in_the_database_either():
    entry = record(action="test.event")
    for sql in ("UPDATE audit_auditentry SET action = 'rewritten'", "DELETE FROM audit_auditentry"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.event"


def test_deleting_a_user_keeps_their_entries():
    user = UserFactory.create()
    record(action="test.event", actor=user)
    user.delete()
    entry = AuditEntry.objects.get()
    assert entry.actor_email == user.email


def test_staff_read_the_log_in_the_admin_but_cannot_edit_it(client):
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    entry = record(action="test.event")
    assert client.get("/admin/audit/auditentry/").status_code == 200
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
