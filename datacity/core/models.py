"""Abstract building blocks shared by the domain apps."""

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .storage import public_storage
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
    """A person's place in an organisation (startup, partner, jury), with a role; see datacity.core.organisations."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=16, choices=MembershipRole, default=MembershipRole.MEMBER)

    class Meta:
        abstract = True


class Invitation(TimeStampedModel):
    """A single-use, expiring invitation to join an organisation (or a jury), sent to one email address.

    Only a hash of the token is stored: the link in the email is the only copy of the token itself.
    """

    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=16, choices=MembershipRole, default=MembershipRole.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.email

    @property
    def is_pending(self) -> bool:
        from django.utils import timezone

        return self.accepted_at is None and self.expires_at > timezone.now()


def logo_field() -> models.ImageField:
    """An organisation's logo: a small raster image, refused before storage if too big or of the wrong type.

    Logos are shown on public pages, so they go to the "public" storage (plain, cacheable URLs), never "default".
    """
    return models.ImageField(
        _("logo"),
        upload_to="logos/%Y/",
        storage=public_storage,
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "webp"]), validate_logo_size],
        help_text=_("PNG, JPEG or WebP, 2 MB at most."),
    )
