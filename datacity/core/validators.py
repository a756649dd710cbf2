"""Validators shared by the domain apps."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


def validate_logo_size(file) -> None:
    limit = settings.MAX_LOGO_UPLOAD_BYTES
    if file.size > limit:
        raise ValidationError(
            _("This file is %(size)s; logos are limited to %(limit)s.")
            % {"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
            code="file_too_large",
        )
