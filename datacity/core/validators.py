"""Validators shared by the domain apps."""

import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .uploads import check_antivirus


def validate_logo_size(file) -> None:
    """A logo within MAX_LOGO_UPLOAD_BYTES; a newly sent one also passes the antivirus when one is configured
    (a stored logo is not sent to it again at every save of its organisation)."""
    limit = settings.MAX_LOGO_UPLOAD_BYTES
    if file.size > limit:
        raise ValidationError(
            _("This file is %(size)s; logos are limited to %(limit)s.")
            % {"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
            code="file_too_large",
        )
    if not getattr(file, "_committed", True):
        check_antivirus(file.file)


# Characters a one-line text (a name, a title) may not contain: control characters (line breaks, tabs, NUL,
# escape...), the Unicode line and paragraph separators, and the bidirectional embeddings, overrides and isolates,
# which can make a name read differently from what it is. The marks Arabic text legitimately uses (U+200E, U+200F,
# U+061C) stay allowed. Such texts end up in mail subjects and headers, and in the pages of other people.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_single_line(value: str) -> None:
    """Refuse a text that does not fit on one line or carries invisible control characters."""
    if any(char in _BIDI_CONTROLS or unicodedata.category(char) in {"Cc", "Zl", "Zp"} for char in value):
        raise ValidationError(
            _("Write this on one line, without control characters (line breaks, tabs, direction overrides)."),
            code="not_single_line",
        )
