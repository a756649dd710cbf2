"""The kinds of notice the platform sends: declared by the app that sends them, in its `notices.py`.

A kind names its templates (`notifications/<name>_subject.txt`, `_body.txt` and, optionally, `_body.html`, rendered
at dispatch in the recipient's language), whether it shows in the notification centre, and how it is delivered by
mail unless the person chose otherwise. Mandatory kinds (security mails, invitations) ignore preferences.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Delivery(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately")
    DIGEST = "digest", _("In a daily digest")
    OFF = "off", _("Off")


@dataclass(frozen=True)
class Kind:
    name: str
    label: Promise | str
    default: Delivery = Delivery.IMMEDIATELY
    # False for mails a person cannot turn off or delay: security notices, invitations, verification links.
    optional: bool = True
    # Shown in the notification centre (a mail to an address without an account, or a password reset, is not).
    in_app: bool = True
    # Its templates read the recipient (`notification`): each mail is rendered for itself. Otherwise the notices of
    # one event are rendered once per language and batch (see services.compose).
    personal: bool = False
    # The mail's text holds a secret (a one-time link): the stored copy is erased once the mail has left.
    secret: bool = False
    # What the subject template reads beyond the notice's object, as select_related lookups on it ("phase__program"):
    # the notification centre loads it with the objects, so that its pages cost the same queries at 5 or 50 notices.
    related: tuple[str, ...] = ()

    @property
    def template(self) -> str:
        return "notifications/" + self.name.replace(".", "_")


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Declare a kind (at import time of the sending app's `notices.py`); a name is declared once."""
    if KINDS.get(kind.name, kind) != kind:
        raise ValueError(f"Notification kind {kind.name!r} is declared twice, differently.")
    KINDS[kind.name] = kind
    return kind


def get(name: str) -> Kind:
    return KINDS[name]


def optional_kinds() -> list[Kind]:
    """The kinds a person may choose how to receive, in a stable order for the preferences page."""
    return sorted((kind for kind in KINDS.values() if kind.optional), key=lambda kind: kind.name)


# The daily digest gathers the day's notices of every kind a person asked to receive that way.
DIGEST = register(Kind("digest", _("Daily digest"), optional=False, in_app=False, personal=True))
