from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "datacity.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the login / logout / failed-login receivers
