"""allauth's account adapter with the platform's rules: addresses that fit the database, refused logins on record,
mails through the outbox, and the person's language kept from sign-up on."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import translation

from datacity.audit.services import record
from datacity.notifications.services import notify_mail

from .models import User
from .notices import kind_of_template

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


def owner_of(email: str, context: dict[str, Any]) -> User | None:
    """The person a mail of allauth is for: the account it names, else the account of the address, if any."""
    user = context.get("user")
    if isinstance(user, User) and user.pk is not None:
        return user
    return User.objects.filter(email__iexact=email).first()


def supported_language(language: str | None) -> str:
    """`language` as one of LANGUAGES ("en-gb" is "en"), the default language for anything else."""
    try:
        return translation.get_supported_language_variant(language or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Every mail of allauth names the platform (SITE_NAME), links to SITE_URL and leaves through the outbox:
        written now, in the language of the page, and sent by the dispatcher, so a mail relay that is down never
        fails the page that asked for the mail."""
        context = {**context, "current_site": Site(settings.SITE_NAME, urlsplit(settings.SITE_URL).netloc)}
        message = self.render_mail(template_prefix, email, {"email": email, **context})
        notify_mail(kind=kind_of_template(template_prefix), message=message, recipient=owner_of(email, context))

    def send_notification_mail(
        self, template_prefix: str, user: Any, context: dict[str, Any] | None = None, email: str | None = None
    ) -> None:
        """allauth's notices about an account name their user to us, not to the template: kept for the recipient
        (a notice sent to an address the person just left is still theirs)."""
        super().send_notification_mail(template_prefix, user, {"user": user, **(context or {})}, email)

    def save_user(self, request: Any, user: Any, form: Any, commit: bool = True) -> Any:
        """A new account writes in the language of the page it signed up on: later mails come in it."""
        user.language = supported_language(getattr(request, "LANGUAGE_CODE", None) or translation.get_language())
        return super().save_user(request, user, form, commit)

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
