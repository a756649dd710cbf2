"""Authentication backend: allauth's, with demo accounts shut out unless the settings allow them."""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.conf import settings


class AuthenticationBackend(AllauthBackend):
    """Demo accounts have published passwords: they must never open a session in production."""

    def user_can_authenticate(self, user) -> bool:
        if getattr(user, "is_demo", False) and not settings.DEMO_ACCOUNTS_ENABLED:
            return False
        return super().user_can_authenticate(user)
