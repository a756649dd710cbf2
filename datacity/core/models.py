"""Abstract building blocks shared by the domain apps."""

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .validators import validate_logo_size


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class MembershipRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    MEMBER = "member", _("Member")


class Membership(TimeStampedModel):
    """A person's place in an organisation; the accounts issue builds invitations and role changes on it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=16, choices=MembershipRole, default=MembershipRole.MEMBER)

    class Meta:
        abstract = True


def logo_field() -> models.ImageField:
    """An organisation's logo: a small raster image, refused before storage if too big or of the wrong type."""
    return models.ImageField(
        _("logo"),
        upload_to="logos/%Y/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "webp"]), validate_logo_size],
        help_text=_("PNG, JPEG or WebP, 2 MB at most."),
    )
