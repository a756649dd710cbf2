"""Partner organisations: the city, companies and technical sponsors, and the people who act for them."""

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from datacity.core.models import Invitation, Membership, TimeStampedModel, logo_field
from datacity.core.validators import validate_single_line


class PartnerKind(models.TextChoices):
    CITY = "city", _("City")
    COMPANY = "company", _("Company")
    TECHNICAL_SPONSOR = "technical_sponsor", _("Technical sponsor")


class PartnerQuerySet(models.QuerySet):
    def public(self) -> "PartnerQuerySet":
        return self.filter(is_public=True)

    def for_listing(self) -> "PartnerQuerySet":
        return self.order_by("kind", "name")


class Partner(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200, validators=[validate_single_line])
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=PartnerKind, default=PartnerKind.COMPANY)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)
    logo = logo_field()
    is_public = models.BooleanField(
        _("shown on the public site"),
        default=True,
        help_text=_("Untick to keep the partner off the public pages."),
    )
    members: "models.ManyToManyField[Any, Any]" = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="PartnerMembership",
        related_name="partners",
        verbose_name=_("members"),
        blank=True,
    )

    objects = PartnerQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("partners:detail", kwargs={"slug": self.slug})


class PartnerMembership(Membership):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        verbose_name = _("partner membership")
        verbose_name_plural = _("partner memberships")
        constraints = [
            models.UniqueConstraint(fields=["partner", "user"], name="partners_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner}"


class PartnerInvitation(Invitation):
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("partner")
    )

    class Meta(Invitation.Meta):
        verbose_name = _("partner invitation")
        verbose_name_plural = _("partner invitations")
