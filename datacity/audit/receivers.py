"""Authentication events into the audit log (Django's own auth signals are the only hook for them), the audit
context of Celery tasks (each task acts as the system actor named after it, under its task id), and the privileges
of the application's database role, granted after each `migrate` (see `grant_app_role`)."""

from typing import Any

from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from .context import AuditContext, bind, unbind
from .models import AuditEntry
from .services import record

_task_tokens: dict[str, Any] = {}


@receiver(user_logged_in, dispatch_uid="audit_login")
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(action="auth.login", actor=user, obj=user)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(action="auth.logout", actor=user, obj=user)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def audit_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # Never log the password: only the identifier that was tried.
    tried = credentials.get("email") or credentials.get("username") or ""
    record(action="auth.login_failed", email=str(tried)[:254], attempted=str(tried)[:254])


@task_prerun.connect(dispatch_uid="audit_task_context")
def bind_task_context(task_id: str, task: Any, **kwargs: Any) -> None:
    _task_tokens[task_id] = bind(AuditContext(system=task.name, request_id=task_id))


@task_postrun.connect(dispatch_uid="audit_task_context_end")
def unbind_task_context(task_id: str, **kwargs: Any) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        unbind(token)


def grant_app_role(*, role: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Give the database role `role` what the application needs and nothing more: reading and writing the
    platform's tables and using their sequences, but only reading and appending on the audit log.

    Run by the owner of the tables (who runs `migrate`). Privileges granted earlier by hand are revoked first, in
    the same transaction, so that what the role may do is exactly this. A role that is a superuser or that shares
    the owner's rights would bypass all of it (it could disable the audit log's triggers): it is refused.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    audit_table = AuditEntry._meta.db_table
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.rolsuper, pg_has_role(r.rolname, t.tableowner, 'MEMBER'), current_schema()"
            " FROM pg_roles r, pg_tables t"
            " WHERE r.rolname = %s AND t.tablename = %s AND t.schemaname = current_schema()",
            [role, audit_table],
        )
        row = cursor.fetchone()
        if row is None:
            raise ImproperlyConfigured(f"DATABASE_APP_ROLE: the role {role!r} does not exist (create it first).")
        is_superuser, has_owner_rights, schema = row
        if is_superuser or has_owner_rights:
            raise ImproperlyConfigured(
                f"DATABASE_APP_ROLE: the role {role!r} must be neither a superuser nor the owner of the tables "
                "(nor a member of the owner's role): it could change or empty the audit log."
            )
        tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
        others = ", ".join(quote(table) for table in tables if table != audit_table)
        sequences = ", ".join(quote(sequence["name"]) for sequence in connection.introspection.sequence_list())
        grantee = quote(role)
        cursor.execute(f"GRANT USAGE ON SCHEMA {quote(schema)} TO {grantee}")
        cursor.execute(f"REVOKE ALL ON TABLE {others}, {quote(audit_table)} FROM {grantee}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {others} TO {grantee}")
        cursor.execute(f"GRANT SELECT, INSERT ON TABLE {quote(audit_table)} TO {grantee}")
        if sequences:
            cursor.execute(f"GRANT USAGE, SELECT ON SEQUENCE {sequences} TO {grantee}")


@receiver(post_migrate, dispatch_uid="audit_grant_app_role")
def grant_app_role_after_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    # Sent once per application after all migrations ran: the grants are made once, with the audit app's signal.
    if sender.label == AuditEntry._meta.app_label and settings.DATABASE_APP_ROLE:
        grant_app_role(role=settings.DATABASE_APP_ROLE, using=using)
