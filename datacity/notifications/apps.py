from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "datacity.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Each app declares the kinds of notice it sends in its own `notices.py`: all of them are known before the
        # first request, so that the preferences page lists every kind.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("notices")
