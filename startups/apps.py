from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StartupsConfig(AppConfig):
    name = "startups"
    verbose_name = _("Startups")

    def ready(self) -> None:
        from . import clock  # noqa: F401 - declares which founders hear of the edition's phases
