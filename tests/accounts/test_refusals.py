"""What the platform refuses, it refuses cleanly and on record: addresses it could not store, other organisations'
members and invitations, logins beyond the rate limit; and the audit log, which no one may change, delete or empty,
the application's own database role included."""

import secrets

import psycopg2
import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from datacity.accounts.models import User
from datacity.audit.models import AuditEntry
from datacity.audit.receivers import grant_app_role, grant_app_role_after_migrate
from datacity.audit.services import record
from datacity.core.models import MembershipRole
from datacity.core.organisations import invitation_create
from partners.models import PartnerInvitation
from startups.models import StartupInvitation
from startups.services import STARTUP_SPACE
from tests.factories import PartnerFactory, StartupFactory, StartupMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Casablanca-2027!"
# 262 characters: a valid address, longer than the column (254) that keeps it.
TOO_LONG_EMAIL = "a" * 250 + "@example.org"


def test_sign_up_refuses_an_address_longer_than_the_database_keeps(client):
    for _attempt in range(2):
        response = client.post(
            "/en/accounts/signup/", {"email": TOO_LONG_EMAIL, "password1": PASSWORD, "password2": PASSWORD}
        )
        assert response.status_code == 200
        assert "at most 254 characters" in response.content.decode()
    assert not User.objects.exists()
    assert not EmailAddress.objects.exists()


def test_an_address_that_fits_exactly_is_kept_whole(client):
    email = "a" * 242 + "@example.org"
    assert len(email) == 254
    response = client.post("/en/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    assert User.objects.get().email == email
    assert EmailAddress.objects.get().email == email


def test_changing_ones_address_refuses_one_that_does_not_fit(client):
    user = UserFactory.create(email="amina@example.org", verified_email=True)
    client.force_login(user)
    response = client.post("/en/accounts/email/", {"action_add": "", "email": TOO_LONG_EMAIL})
    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    assert list(EmailAddress.objects.values_list("email", flat=True)) == ["amina@example.org"]


def test_the_members_page_refuses_an_invitation_to_an_address_that_does_not_fit(client):
    owner = UserFactory.create()
    startup = StartupFactory.create()
    StartupMembershipFactory.create(startup=startup, user=owner, role=MembershipRole.OWNER)
    client.force_login(owner)
    response = client.post(
        f"/en/startups/{startup.slug}/members/", {"action": "invite", "email": TOO_LONG_EMAIL, "role": "member"}
    )
    assert response.status_code == 400
    assert "at most 254 characters" in response.content.decode()
    assert not StartupInvitation.objects.exists()


def test_the_admin_refuses_an_invitation_to_an_address_that_does_not_fit(client):
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    partner = PartnerFactory.create()
    response = client.post(
        "/admin/partners/partnerinvitation/add/", {"partner": partner.pk, "email": TOO_LONG_EMAIL, "role": "owner"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("email", "max_length")
    assert not PartnerInvitation.objects.exists()


def test_acting_on_another_organisations_members_or_invitations_is_not_found_and_audited(client):
    owner = UserFactory.create()
    mine, theirs = StartupFactory.create(), StartupFactory.create()
    StartupMembershipFactory.create(startup=mine, user=owner, role=MembershipRole.OWNER)
    their_owner = StartupMembershipFactory.create(startup=theirs, role=MembershipRole.OWNER)
    their_member = StartupMembershipFactory.create(startup=theirs, role=MembershipRole.MEMBER)
    their_invitation, _token = invitation_create(
        space=STARTUP_SPACE, organisation=theirs, email="pending@example.org", role="member", actor=their_owner.user
    )
    client.force_login(owner)
    url = f"/en/startups/{mine.slug}/members/"

    attempts = [
        ({"action": "remove", "membership": their_member.pk}, their_member),
        ({"action": "role", "membership": their_member.pk, "role": "owner"}, their_member),
        ({"action": "revoke", "invitation": their_invitation.pk}, their_invitation),
    ]
    for data, target in attempts:
        assert client.post(url, data).status_code == 404
        entry = AuditEntry.objects.filter(action="access.refused").latest("pk")
        assert entry.actor == owner
        assert (entry.object_type.model_class(), entry.object_id) == (type(target), str(target.pk))
        assert entry.details["path"] == url
    assert AuditEntry.objects.filter(action="access.refused").count() == len(attempts)
    their_member.refresh_from_db()
    assert their_member.role == MembershipRole.MEMBER
    assert StartupInvitation.objects.filter(pk=their_invitation.pk).exists()


def test_a_login_refused_by_the_rate_limit_is_audited_with_the_address_tried(client):
    UserFactory.create(email="target@example.org", verified_email=True)
    for _attempt in range(5):
        client.post("/en/accounts/login/", {"login": "target@example.org", "password": "wrong-secret-value"})
    assert not AuditEntry.objects.filter(action="auth.login_rate_limited").exists()
    response = client.post("/en/accounts/login/", {"login": "target@example.org", "password": "other-secret"})
    assert "Too many failed login attempts" in response.content.decode()
    entry = AuditEntry.objects.get(action="auth.login_rate_limited")
    assert entry.actor is None
    assert entry.actor_email == "target@example.org"
    assert entry.details == {"attempted": "target@example.org"}
    assert entry.ip_address == "127.0.0.1"
    assert "secret" not in str(entry.details)


def test_the_database_refuses_to_empty_the_audit_log():
    entry = record(action="test.event")
    refused = pytest.raises(DatabaseError, match=r"append-only \(TRUNCATE refused\)")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditentry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_a_role_that_could_bypass_the_audit_logs_guards_is_refused():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        [owner] = cursor.fetchone()
    with pytest.raises(ImproperlyConfigured, match="neither a superuser nor the owner"):
        grant_app_role(role=owner)
    with pytest.raises(ImproperlyConfigured, match="does not exist"):
        grant_app_role(role=f"no_such_role_{secrets.token_hex(4)}")


@pytest.fixture
def app_role():
    """A login role of the cluster, for this test only (the name is random: other test databases share the
    cluster), dropped with its privileges afterwards."""
    name, password = f"datacity_app_{secrets.token_hex(6)}", secrets.token_urlsafe(16)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} LOGIN PASSWORD %s", [password])
    yield name, password
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {name}")
        cursor.execute(f"DROP ROLE {name}")


@pytest.mark.django_db(transaction=True)
def test_the_application_role_appends_to_the_audit_log_but_cannot_change_empty_or_unguard_it(app_role):
    role, password = app_role
    startup = StartupFactory.create()
    entry = record(action="test.event", obj=startup)
    # What `migrate` does when DATABASE_APP_ROLE is set.
    with override_settings(DATABASE_APP_ROLE=role):
        grant_app_role_after_migrate(sender=apps.get_app_config("audit"), using="default")

    database = connection.settings_dict
    # The embedded server is reached through a socket folder, which django-environ puts in OPTIONS["host"].
    host = database["HOST"] or database.get("OPTIONS", {}).get("host")
    as_app = psycopg2.connect(
        dbname=database["NAME"], host=host, port=database["PORT"] or 5432, user=role, password=password
    )
    as_app.autocommit = True
    try:
        with as_app.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_auditentry (at, actor_email, action, object_id, object_repr, request_id, details)"
                " VALUES (now(), '', 'test.by_app', '', '', '', '{}') RETURNING id"
            )
            cursor.execute("SELECT count(*) FROM audit_auditentry")
            assert cursor.fetchone() == (2,)
            # The rest of the platform's tables are the application's to change.
            cursor.execute("UPDATE startups_startup SET city = 'Rabat' WHERE id = %s", [startup.pk])
            cursor.execute("INSERT INTO challenges_theme (name, name_fr, slug) VALUES ('Eau', 'Eau', 'eau')")
            cursor.execute("DELETE FROM challenges_theme WHERE slug = 'eau'")
        refused = [
            "UPDATE audit_auditentry SET action = 'rewritten'",
            "DELETE FROM audit_auditentry",
            "TRUNCATE audit_auditentry",
            "ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only",
            "ALTER TABLE audit_auditentry DISABLE TRIGGER USER",
            "DROP TRIGGER audit_entry_no_truncate ON audit_auditentry",
        ]
        for sql in refused:
            with pytest.raises(psycopg2.errors.InsufficientPrivilege), as_app.cursor() as cursor:
                cursor.execute(sql)
    finally:
        as_app.close()
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.event"
    assert AuditEntry.objects.filter(action="test.by_app").exists()
    startup.refresh_from_db()
    assert startup.city == "Rabat"
