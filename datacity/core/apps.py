from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Cross-cutting web pieces: template tags, error pages, the demo loader's command plumbing."""

    name = "datacity.core"
    label = "core"
    verbose_name = _("Core")
