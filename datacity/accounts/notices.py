"""The mails of accounts (allauth's): each template family is a kind of notice, none of them optional."""

from django.utils.translation import gettext_lazy as _

from datacity.notifications.kinds import Kind, register

# One-time links and codes: not shown in the notification centre, and the stored copy is erased once sent.
VERIFICATION = register(
    Kind("account.verification", _("Email address verification"), optional=False, in_app=False, secret=True)
)
PASSWORD_RESET = register(
    Kind("account.password_reset", _("Password reset"), optional=False, in_app=False, secret=True)
)
LOGIN_CODE = register(Kind("account.login_code", _("Login code"), optional=False, in_app=False, secret=True))
# What was done to an account (password or address changed, two-factor turned on or off...): a person cannot turn
# these off, and sees them in the notification centre too.
SECURITY = register(Kind("account.security", _("Security notice"), optional=False))
# A mail of a newer allauth that nobody has sorted yet: sent all the same, treated as if it held a secret.
OTHER = register(Kind("account.other", _("Account mail"), optional=False, in_app=False, secret=True))

# allauth's template prefixes, by family. Anything else is OTHER rather than a failure to send.
KIND_OF_TEMPLATE = {
    "account/email/email_confirmation": VERIFICATION,
    "account/email/email_confirmation_signup": VERIFICATION,
    "account/email/password_reset_key": PASSWORD_RESET,
    "account/email/password_reset_code": PASSWORD_RESET,
    "account/email/login_code": LOGIN_CODE,
    "account/email/password_reset": SECURITY,
    "account/email/password_changed": SECURITY,
    "account/email/password_set": SECURITY,
    "account/email/email_changed": SECURITY,
    "account/email/email_confirm": SECURITY,
    "account/email/email_deleted": SECURITY,
    "account/email/unknown_account": SECURITY,
    "account/email/account_already_exists": SECURITY,
}
# Notices only (what happened, never a code): two-factor changes, a social account (dis)connected.
SECURITY_FAMILIES = ("mfa/email/", "socialaccount/email/")


def kind_of_template(template_prefix: str) -> Kind:
    """The kind of one of allauth's mails, from its template prefix ("account/email/password_reset_key")."""
    if template_prefix in KIND_OF_TEMPLATE:
        return KIND_OF_TEMPLATE[template_prefix]
    if template_prefix.startswith(SECURITY_FAMILIES):
        return SECURITY
    return OTHER
