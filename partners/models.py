"""Partner organisations: the city, companies and technical sponsors, and the people who act for them."""

import math
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from datacity.core.models import Invitation, Membership, TimeStampedModel, logo_field
from datacity.core.storage import public_storage
from datacity.core.uploads import storage_key
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


# --- Experimentation sites --------------------------------------------------------------------------------------

GEOMETRY_TYPES = ("Point", "LineString", "Polygon")
# Enough for a tram line or a district's outline drawn by hand; a bigger shape belongs in a dataset.
MAX_POSITIONS = 5000


def _position(value: Any, where: Any) -> tuple[float, float]:
    if (
        not isinstance(value, list | tuple)
        or len(value) not in (2, 3)
        or not all(isinstance(n, int | float) and not isinstance(n, bool) and math.isfinite(n) for n in value)
    ):
        raise ValidationError(
            _("%(where)s: a position is [longitude, latitude] in numbers."),
            code="geometry_position",
            params={"where": where},
        )
    longitude, latitude = float(value[0]), float(value[1])
    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
        raise ValidationError(
            _("%(where)s: longitude must lie between -180 and 180 and latitude between -90 and 90."),
            code="geometry_range",
            params={"where": where},
        )
    return longitude, latitude


def _positions(value: Any, where: Any, *, at_least: int) -> list[tuple[float, float]]:
    if not isinstance(value, list) or len(value) < at_least:
        raise ValidationError(
            _("%(where)s needs at least %(count)s positions."),
            code="geometry_too_short",
            params={"where": where, "count": at_least},
        )
    return [
        _position(each, _("%(where)s, position %(number)s") % {"where": where, "number": number})
        for number, each in enumerate(value, start=1)
    ]


def geometry_positions(geometry: Any) -> list[tuple[float, float]]:
    """The (longitude, latitude) positions of a GeoJSON Point, LineString or Polygon (RFC 7946), once validated.

    Raises ValidationError saying what is wrong: the type, a position's numbers or range, a line too short, a ring
    that is not closed.
    """
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        raise ValidationError(
            _("The geometry must be a GeoJSON object of type Point, LineString or Polygon."), code="geometry_type"
        )
    kind, coordinates = geometry["type"], geometry.get("coordinates")
    if kind == "Point":
        positions = [_position(coordinates, _("The point"))]
    elif kind == "LineString":
        positions = _positions(coordinates, _("The line"), at_least=2)
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise ValidationError(_("A polygon needs at least one ring."), code="geometry_no_ring")
        positions = []
        for number, ring in enumerate(coordinates, start=1):
            where = _("Ring %(number)s") % {"number": number}
            points = _positions(ring, where, at_least=4)
            if points[0] != points[-1]:
                raise ValidationError(
                    _("%(where)s is not closed: its last position must repeat its first."),
                    code="geometry_open_ring",
                    params={"where": where},
                )
            positions += points
    if len(positions) > MAX_POSITIONS:
        raise ValidationError(
            _("The geometry has more than %(count)s positions."),
            code="geometry_too_big",
            params={"count": MAX_POSITIONS},
        )
    return positions


def validate_geometry(geometry: Any) -> None:
    geometry_positions(geometry)


class SiteKind(models.TextChoices):
    TRAM_LINE = "tram_line", _("Tram line")
    DISTRICT = "district", _("District")
    BUILDING = "building", _("Building")
    NETWORK = "network", _("Network")
    OTHER = "other", _("Other")


class ExperimentationSiteQuerySet(models.QuerySet):
    def public(self) -> "ExperimentationSiteQuerySet":
        """Sites the public may see: those of public partners. The one definition of it."""
        return self.filter(partner__is_public=True)

    def for_listing(self) -> "ExperimentationSiteQuerySet":
        return (
            self.select_related("partner")
            .prefetch_related(
                models.Prefetch("availability", queryset=SiteAvailability.objects.order_by("starts_on")),
                models.Prefetch("photos", queryset=SitePhoto.objects.order_by("position", "pk")),
            )
            .order_by("partner__name", "name")
        )


class ExperimentationSite(TimeStampedModel):
    """A real place where startups test prototypes, offered by a partner (the city is one): its shape on the map,
    what it provides, its rules, and when it is available."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="sites", verbose_name=_("partner"))
    name = models.CharField(_("name"), max_length=200, validators=[validate_single_line])
    slug = models.SlugField(_("slug"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=SiteKind, default=SiteKind.OTHER)
    description = models.TextField(_("description"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True, validators=[validate_single_line])
    geometry = models.JSONField(
        _("geometry"),
        validators=[validate_geometry],
        help_text=_("A GeoJSON Point, LineString or Polygon, in longitude and latitude (WGS 84)."),
    )
    # The geometry's bounding box, kept by the services, for queries ("sites in this area") without PostGIS.
    min_longitude = models.FloatField(editable=False, default=0)
    min_latitude = models.FloatField(editable=False, default=0)
    max_longitude = models.FloatField(editable=False, default=0)
    max_latitude = models.FloatField(editable=False, default=0)
    has_power = models.BooleanField(_("power supply"), default=False)
    has_connectivity = models.BooleanField(_("network connectivity"), default=False)
    has_sensors = models.BooleanField(_("sensors in place"), default=False)
    infrastructure_notes = models.TextField(
        _("infrastructure details"), blank=True, help_text=_("Voltage, network type, which sensors, access to them.")
    )
    constraints = models.TextField(
        _("constraints"), blank=True, help_text=_("Hours, safety rules, insurance, permits to obtain.")
    )

    objects = ExperimentationSiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("experimentation site")
        verbose_name_plural = _("experimentation sites")
        ordering = ["partner", "name"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "slug"], name="partners_site_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sites:list") + f"#site-{self.pk}"

    def set_bounding_box(self) -> None:
        positions = geometry_positions(self.geometry)
        longitudes = [longitude for longitude, _latitude in positions]
        latitudes = [latitude for _longitude, latitude in positions]
        self.min_longitude, self.max_longitude = min(longitudes), max(longitudes)
        self.min_latitude, self.max_latitude = min(latitudes), max(latitudes)

    @property
    def bounding_box(self) -> list[float]:
        return [self.min_longitude, self.min_latitude, self.max_longitude, self.max_latitude]

    def infrastructure(self) -> list[str]:
        labels = {"has_power": _("Power"), "has_connectivity": _("Connectivity"), "has_sensors": _("Sensors")}
        return [str(label) for name, label in labels.items() if getattr(self, name)]


class SiteAvailability(models.Model):
    """A window of days (inclusive, in the program's time zone) when a site may be booked."""

    site = models.ForeignKey(
        ExperimentationSite, on_delete=models.CASCADE, related_name="availability", verbose_name=_("site")
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to (inclusive)"))

    class Meta:
        verbose_name = _("availability window")
        verbose_name_plural = _("availability windows")
        ordering = ["site", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="partners_availability_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_on} – {self.ends_on}"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A window must end on or after the day it starts.")})

    def period(self) -> tuple[datetime, datetime]:
        """The window as instants: its first day's midnight to the midnight after its last day (half-open)."""
        zone = timezone.get_default_timezone()
        return (
            datetime.combine(self.starts_on, time.min, tzinfo=zone),
            datetime.combine(self.ends_on + timedelta(days=1), time.min, tzinfo=zone),
        )


def site_photo_key(instance: "SitePhoto", filename: str) -> str:
    """The storage key of a site's photo: made by the server; its extension is the one of the type the bytes proved
    (the service names the file after it), so the public storage serves it with the right content type."""
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    return storage_key(f"sites/{instance.site_id}") + (f".{extension}" if extension else "")


class SitePhoto(models.Model):
    """A photo of an experimentation site, shown on the public list. Its caption is its text alternative too, so
    it is required. Added and removed through `partners.services`, which check the image before storing it."""

    site = models.ForeignKey(
        ExperimentationSite, on_delete=models.CASCADE, related_name="photos", verbose_name=_("site")
    )
    # Public pages show it: the "public" storage, like organisations' logos.
    image = models.ImageField(
        _("image"),
        upload_to=site_photo_key,
        storage=public_storage,
        max_length=200,
        width_field="width",
        height_field="height",
        help_text=_("PNG, JPEG or WebP."),
    )
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    caption = models.CharField(
        _("caption"),
        max_length=200,
        validators=[validate_single_line],
        help_text=_("What the photo shows, in a sentence: it is also read to people who cannot see it."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("site photo")
        verbose_name_plural = _("site photos")
        ordering = ["site", "position", "pk"]

    def __str__(self) -> str:
        return self.caption
