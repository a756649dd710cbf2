from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "datacity.accounts"
    label = "accounts"
    # Distinct from allauth's "account" app, which is also called "Accounts".
    verbose_name = _("People and accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import sessions  # noqa: F401  # connects the login's session timestamps (user_logged_in)
        from .roles import sync_groups

        post_migrate.connect(sync_groups, dispatch_uid="accounts_sync_groups")
