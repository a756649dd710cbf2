"""The mails of membership: an invitation to join a startup, a partner or a jury."""

from django.utils.translation import gettext_lazy as _

from datacity.notifications.kinds import Kind, register

# Its link is single-use (only a hash of the token is kept): the stored copy of the mail is erased once it has left.
INVITATION = register(
    Kind("membership.invitation", _("Invitation to join an organisation"), optional=False, secret=True)
)
