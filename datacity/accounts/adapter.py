"""allauth's account adapter with the platform's rules: addresses that fit the database, refused logins on record."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from datacity.audit.services import record

from .models import User

# allauth cuts an address longer than the column when it copies it onto the user (and keeps the whole address
# elsewhere): the account and its verification mail would go to another address. Refused instead, with a message.
EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length


@dataclass(frozen=True)
class Site:
    """What allauth's mails call the "current site": the platform's name and address, never the request's host."""

    name: str
    domain: str


def on_site(url: str) -> str:
    """`url` on the platform's public address (SITE_URL), whatever host the request that built it came to."""
    site, bits = urlsplit(settings.SITE_URL), urlsplit(url)
    return urlunsplit((site.scheme, site.netloc, site.path.rstrip("/") + bits.path, bits.query, bits.fragment))


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Every mail of allauth names the platform (SITE_NAME) and links to SITE_URL."""
        context = {**context, "current_site": Site(settings.SITE_NAME, urlsplit(settings.SITE_URL).netloc)}
        msg = self.render_mail(template_prefix, email, {"email": email, **context})
        msg.send()

    def get_email_confirmation_url(self, request: Any, emailconfirmation: Any) -> str:
        return on_site(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return on_site(super().get_reset_password_from_key_url(key))

    def clean_email(self, email: str) -> str:
        """Every address a person types (sign-up, email change, password reset) passes here."""
        email = super().clean_email(email)
        MaxLengthValidator(EMAIL_MAX_LENGTH)(email)
        return email

    def pre_authenticate(self, request, **credentials: Any) -> None:
        """A login refused by the rate limit is audited like a failed one (with the address tried, never the
        password): Django's login-failed signal is not sent for it."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            tried = str(credentials.get("email") or credentials.get("username") or "")[:254]
            record(action="auth.login_rate_limited", email=tried, attempted=tried)
            raise
