"""Staff groups and the jury group, kept in step with the models after every migrate."""

from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

PROGRAM_MANAGER = "Program manager"
AUDITOR = "Auditor"
JURY = "Jury"

# The apps whose data staff manage; the audit log is readable by both groups and writable by neither.
MANAGED_APPS = ("partners", "challenges", "startups", "datasets", "django_celery_beat", "notifications")


def sync_groups(**kwargs) -> None:
    """Idempotent: run on post_migrate so new models' permissions reach the groups without a hand step."""
    if not global_apps.is_installed("django.contrib.auth"):
        return
    manager, _ = Group.objects.get_or_create(name=PROGRAM_MANAGER)
    auditor, _ = Group.objects.get_or_create(name=AUDITOR)
    Group.objects.get_or_create(name=JURY)
    audit_view = Q(content_type__app_label="audit", codename__startswith="view_")
    manager.permissions.set(
        Permission.objects.filter(Q(content_type__app_label__in=MANAGED_APPS) | audit_view)
        | Permission.objects.filter(content_type__app_label="accounts", codename__in=["view_user", "change_user"])
    )
    auditor.permissions.set(
        Permission.objects.filter(
            Q(content_type__app_label__in=(*MANAGED_APPS, "accounts", "audit")) & Q(codename__startswith="view_")
        )
    )
