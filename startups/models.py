"""Startup organisations and their selection in an edition, paired with a sponsoring partner."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from challenges.models import Challenge, Program
from datacity.core.models import Invitation, Membership, TimeStampedModel, logo_field
from datacity.core.validators import validate_single_line
from partners.models import Partner


class Sector(models.TextChoices):
    MOBILITY = "mobility", _("Mobility and transport")
    ENERGY = "energy", _("Energy")
    WATER = "water", _("Water and sanitation")
    CONSTRUCTION = "construction", _("Construction and housing")
    WASTE = "waste", _("Waste and circular economy")
    EDUCATION = "education", _("Education and training")
    TELECOM = "telecom", _("Telecommunications and IoT")
    CIVIC = "civic", _("Civic services")
    OTHER = "other", _("Other")


class StartupQuerySet(models.QuerySet):
    def selected(self) -> "StartupQuerySet":
        """Startups selected in at least one published edition: the ones the public may browse."""
        return self.filter(Exists(Selection.objects.public().filter(startup=OuterRef("pk"))))

    def for_listing(self) -> "StartupQuerySet":
        return self.prefetch_related(
            Prefetch("selections", queryset=Selection.objects.public().for_listing().order_by("-program__starts_on"))
        ).order_by("name")


class Startup(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200, validators=[validate_single_line])
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    pitch = models.CharField(_("pitch"), max_length=280, help_text=_("What the startup does, in one sentence."))
    description = models.TextField(_("description"), blank=True)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector, default=Sector.OTHER)
    website = models.URLField(_("website"), blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True, validators=[validate_single_line])
    founded_year = models.PositiveSmallIntegerField(
        _("founded in"), null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    logo = logo_field()
    members: "models.ManyToManyField[Any, Any]" = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="StartupMembership",
        related_name="startups",
        verbose_name=_("members"),
        blank=True,
    )

    objects = StartupQuerySet.as_manager()

    class Meta:
        verbose_name = _("startup")
        verbose_name_plural = _("startups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("startups:detail", kwargs={"slug": self.slug})


class StartupMembership(Membership):
    startup = models.ForeignKey(Startup, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        verbose_name = _("startup membership")
        verbose_name_plural = _("startup memberships")
        constraints = [
            models.UniqueConstraint(fields=["startup", "user"], name="startups_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.startup}"


class StartupInvitation(Invitation):
    startup = models.ForeignKey(
        Startup, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("startup")
    )

    class Meta(Invitation.Meta):
        verbose_name = _("startup invitation")
        verbose_name_plural = _("startup invitations")


class SelectionQuerySet(models.QuerySet):
    def public(self) -> "SelectionQuerySet":
        """Selections the public may see: those of published editions. The one definition of it."""
        return self.filter(program__is_published=True)

    def for_listing(self) -> "SelectionQuerySet":
        return self.select_related("program", "startup", "challenge", "sponsor").order_by(
            "-program__starts_on", "startup__name"
        )


class Selection(TimeStampedModel):
    """A startup selected in an edition, for a challenge, paired with one sponsoring partner."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="selections", verbose_name=_("edition"))
    startup = models.ForeignKey(Startup, on_delete=models.CASCADE, related_name="selections", verbose_name=_("startup"))
    challenge = models.ForeignKey(
        Challenge,
        on_delete=models.PROTECT,
        related_name="selections",
        null=True,
        blank=True,
        verbose_name=_("challenge"),
    )
    sponsor = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="sponsored_selections",
        null=True,
        blank=True,
        verbose_name=_("sponsoring partner"),
    )
    selected_on = models.DateField(_("selected on"), null=True, blank=True)

    objects = SelectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("selection")
        verbose_name_plural = _("selections")
        ordering = ["program", "startup__name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "startup"], name="startups_selection_once_per_edition"),
        ]

    def __str__(self) -> str:
        return f"{self.startup} – {self.program}"

    def clean(self) -> None:
        if self.challenge is not None and self.program_id and self.challenge.program_id != self.program_id:
            raise ValidationError({"challenge": _("This challenge belongs to another edition.")})
