"""The staff's admin site: the index follows the program, technical tables are for superusers only.

Django lists the admin's tables app by app, in alphabetical order, under the apps' own names (two apps called
"Accounts", one "MFA"). Staff run a program, so the index (and the side menu) shows it in the order they work:
the editions and their phases, challenges, partners, startups, the jury, the data catalogue, then people and the
audit log. What only keeps the machinery running (Celery beat's schedules, allauth's address and two-factor rows,
permission groups, the clock's phase transitions) is shown, and answered, to superusers only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.db.models.base import ModelBase
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    """A heading of the admin's index and the tables under it, in order (model labels, `app_label.model_name`)."""

    name: str | Promise
    models: tuple[str, ...]


# The tables staff work with, in the order of the program.
SECTIONS = (
    Section(_("Program"), ("challenges.program", "challenges.phase", "challenges.challenge", "challenges.theme")),
    Section(_("Partners"), ("partners.partner", "partners.partnerinvitation", "partners.experimentationsite")),
    Section(
        _("Startups"),
        (
            "startups.startup",
            "startups.question",
            "startups.eligibilitycondition",
            "startups.application",
            "startups.decision",
            "startups.selection",
            "startups.startupinvitation",
        ),
    ),
    Section(
        _("Jury"),
        ("challenges.juryinvitation", "challenges.rubric", "startups.conflictdeclaration", "startups.review"),
    ),
    Section(
        _("Experimentation"),
        (
            "challenges.agreementtemplate",
            "startups.experimentagreement",
            "startups.agreementsignature",
            "challenges.milestone",
            "startups.deliverable",
            "startups.indicator",
            "startups.partnership",
            "startups.followupsurvey",
            "challenges.demoday",
        ),
    ),
    Section(
        _("Data catalogue"),
        (
            "datasets.dataset",
            "datasets.accessrequest",
            "datasets.accessgrant",
            "datasets.datauseagreement",
            "datasets.agreementacceptance",
            "datasets.downloadlog",
        ),
    ),
    Section(_("People and accounts"), ("accounts.user", "notifications.notification")),
    Section(_("Audit log"), ("audit.auditentry",)),
)

# Technical tables, last, for superusers only (see SuperuserOnly).
TECHNICAL_SECTIONS = (
    Section(_("Sign-in and permissions (technical)"), ("auth.group", "account.emailaddress", "mfa.authenticator")),
    Section(
        _("Scheduling (technical)"),
        (
            "challenges.phasetransition",
            "challenges.reminderrun",
            "django_celery_beat.periodictask",
            "django_celery_beat.crontabschedule",
            "django_celery_beat.intervalschedule",
            "django_celery_beat.clockedschedule",
            "django_celery_beat.solarschedule",
        ),
    ),
)

TECHNICAL_MODELS = frozenset(label for section in TECHNICAL_SECTIONS for label in section.models)

# Third-party tables whose own name is untranslated.
MODEL_NAMES = {"mfa.authenticator": _("Two-factor authenticators")}


if TYPE_CHECKING:
    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _ModelAdminBase = object


class SuperuserOnly(_ModelAdminBase):
    """A model admin nobody but a superuser sees or opens, whatever permissions their groups hold: the program
    manager group may hold permissions on these tables (it manages the apps), but they are not program data."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class DataCityAdminSite(admin.AdminSite):
    """The default admin site of the project (see AdminConfig)."""

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        """Register as Django does; a technical table's admin, ours or a third-party app's, is made superuser-only
        whoever registers it."""
        models: list[Any] = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else list(model_or_iterable)
        for model in models:
            model_admin = admin_class or admin.ModelAdmin
            if model._meta.label_lower in TECHNICAL_MODELS and not issubclass(model_admin, SuperuserOnly):
                model_admin = type(model_admin.__name__, (SuperuserOnly, model_admin), {})
            super().register(model, model_admin, **options)

    def get_app_list(self, request, app_label=None) -> list[dict]:
        """The sections of the index in the program's order, each with its tables in order; a table registered
        but in no section comes after them, under its app's name, as Django would list it."""
        app_dict = self._build_app_dict(request, app_label)
        tables = {
            model["model"]._meta.label_lower: (app, model) for app in app_dict.values() for model in app["models"]
        }
        sections = []
        for section in (*SECTIONS, *TECHNICAL_SECTIONS):
            present = [tables.pop(label) for label in section.models if label in tables]
            if present:
                sections.append(self._section(section.name, present))
        leftover: dict[str, dict] = {}
        for app, model in tables.values():
            leftover.setdefault(app["app_label"], {**app, "models": []})["models"].append(model)
        for app in sorted(leftover.values(), key=lambda app: str(app["name"]).lower()):
            app["models"].sort(key=lambda model: str(model["name"]))
            sections.append(app)
        return sections

    def _section(self, name, present: list[tuple[dict, dict]]) -> dict:
        first_app = present[0][0]
        models = []
        for _app, model in present:
            label = model["model"]._meta.label_lower
            models.append({**model, "name": capfirst(MODEL_NAMES[label])} if label in MODEL_NAMES else model)
        return {
            "name": name,
            "app_label": first_app["app_label"],
            "app_url": reverse("admin:app_list", kwargs={"app_label": first_app["app_label"]}, current_app=self.name),
            "has_module_perms": True,
            "models": models,
        }


class AdminConfig(DjangoAdminConfig):
    """django.contrib.admin, with DataCityAdminSite as its default site (`admin.site`, `@admin.register`)."""

    default_site = "datacity.admin_site.DataCityAdminSite"
