"""The data catalogue: what each partner shares, under which licence, and with whom."""

from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from challenges.models import Challenge
from datacity.core.models import TimeStampedModel
from datacity.core.uploads import storage_key
from partners.models import Partner


class AccessLevel(models.TextChoices):
    PUBLIC = "public", _("Public (open data)")
    PARTICIPANTS = "participants", _("Program participants")
    RESTRICTED = "restricted", _("Restricted (agreement required)")


class Licence(models.TextChoices):
    ETALAB_2 = "etalab-2.0", _("Licence Ouverte / Open Licence 2.0")
    ODBL = "odbl-1.0", _("Open Database License (ODbL) 1.0")
    CC_BY = "cc-by-4.0", _("Creative Commons Attribution 4.0")
    CC0 = "cc0-1.0", _("Creative Commons Zero 1.0 (public domain)")
    PROPRIETARY = "proprietary", _("Proprietary: use limited to the program")


# DCAT-AP's controlled vocabularies (EU Publications Office authority tables): the codes are the last part of the
# URIs the catalogue export gives, so a harvester such as data.europa.eu reads them without a mapping table.
DATA_THEME_URI = "http://publications.europa.eu/resource/authority/data-theme/"
FREQUENCY_URI = "http://publications.europa.eu/resource/authority/frequency/"
LANGUAGE_URI = "http://publications.europa.eu/resource/authority/language/"


class DataTheme(models.TextChoices):
    """The EU data themes (dcat:theme): a dozen stable concepts every European portal filters on."""

    AGRI = "AGRI", _("Agriculture, fisheries, forestry and food")
    ECON = "ECON", _("Economy and finance")
    EDUC = "EDUC", _("Education, culture and sport")
    ENER = "ENER", _("Energy")
    ENVI = "ENVI", _("Environment")
    GOVE = "GOVE", _("Government and public sector")
    HEAL = "HEAL", _("Health")
    INTR = "INTR", _("International issues")
    JUST = "JUST", _("Justice, legal system and public safety")
    REGI = "REGI", _("Regions and cities")
    SOCI = "SOCI", _("Population and society")
    TECH = "TECH", _("Science and technology")
    TRAN = "TRAN", _("Transport")


class UpdateFrequency(models.TextChoices):
    """The EU frequency vocabulary (dct:accrualPeriodicity), the values a city's data actually has."""

    CONT = "CONT", _("Continuously updated")
    HOURLY = "HOURLY", _("Hourly")
    DAILY = "DAILY", _("Daily")
    WEEKLY = "WEEKLY", _("Weekly")
    MONTHLY = "MONTHLY", _("Monthly")
    QUARTERLY = "QUARTERLY", _("Quarterly")
    ANNUAL = "ANNUAL", _("Annual")
    IRREG = "IRREG", _("Irregular")
    NEVER = "NEVER", _("Never (a one-off dataset)")
    UNKNOWN = "UNKNOWN", _("Unknown")


class DataLanguage(models.TextChoices):
    """Languages the data itself is in (dct:language), as EU language codes."""

    FRA = "FRA", _("French")
    ARA = "ARA", _("Arabic")
    ENG = "ENG", _("English")
    ZXX = "ZXX", _("No linguistic content")


class DatasetQuerySet(models.QuerySet):
    def public(self) -> "DatasetQuerySet":
        return self.filter(access_level=AccessLevel.PUBLIC)

    def for_listing(self) -> "DatasetQuerySet":
        return self.select_related("owner").order_by("title", "pk")


class Dataset(TimeStampedModel):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="datasets", verbose_name=_("owner"))
    challenges = models.ManyToManyField(
        Challenge, related_name="datasets", blank=True, verbose_name=_("related challenges")
    )
    licence = models.CharField(_("licence"), max_length=32, choices=Licence, default=Licence.PROPRIETARY)
    access_level = models.CharField(
        _("access level"), max_length=16, choices=AccessLevel, default=AccessLevel.RESTRICTED
    )
    # DCAT-AP metadata: all optional, so the datasets made before them stay valid.
    keywords = models.CharField(
        _("keywords"), max_length=500, blank=True, help_text=_("Separated by commas, e.g. tram, ridership, stations.")
    )
    themes = ArrayField(
        models.CharField(max_length=4, choices=DataTheme), verbose_name=_("themes"), default=list, blank=True
    )
    contact_name = models.CharField(_("contact point"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    spatial_coverage = models.CharField(
        _("spatial coverage"), max_length=200, blank=True, help_text=_("The place the data covers, e.g. Casablanca.")
    )
    temporal_start = models.DateField(_("covers from"), null=True, blank=True)
    temporal_end = models.DateField(_("covers until"), null=True, blank=True)
    update_frequency = models.CharField(
        _("update frequency"), max_length=16, choices=UpdateFrequency, default=UpdateFrequency.UNKNOWN
    )
    issued = models.DateField(_("first published on"), null=True, blank=True)
    modified = models.DateField(_("last changed on"), null=True, blank=True)
    languages = ArrayField(
        models.CharField(max_length=3, choices=DataLanguage),
        verbose_name=_("languages of the data"),
        default=list,
        blank=True,
    )

    objects = DatasetQuerySet.as_manager()

    class Meta:
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.temporal_start and self.temporal_end and self.temporal_end < self.temporal_start:
            raise ValidationError({"temporal_end": _("The coverage cannot end before it starts.")})
        if self.issued and self.modified and self.modified < self.issued:
            raise ValidationError({"modified": _("A dataset cannot change before it is first published.")})

    def get_absolute_url(self) -> str:
        return reverse("datasets:detail", kwargs={"slug": self.slug})

    @property
    def keyword_list(self) -> list[str]:
        """The keywords in the current language, one by one."""
        return [word.strip() for word in (self.keywords or "").split(",") if word.strip()]

    def get_themes_display(self) -> list[str]:
        return [str(DataTheme(code).label) for code in self.themes if code in DataTheme.values]

    def get_languages_display(self) -> list[str]:
        return [str(DataLanguage(code).label) for code in self.languages if code in DataLanguage.values]


def distribution_key(instance: "Distribution", filename: str) -> str:
    """A file's storage key: made by the server (the uploader's name is only shown back, in the download)."""
    return storage_key(f"datasets/{instance.dataset_id}")


class Distribution(models.Model):
    """One uploaded version of a dataset's file: immutable, with its change note, format, size and SHA-256. A new
    upload is a new version; the older ones stay downloadable to whoever may download the dataset."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="distributions")
    version = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to=distribution_key, max_length=200)
    name = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=20, help_text=_("CSV, GeoJSON, PDF..., read from the file."))
    media_type = models.CharField(_("media type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField("SHA-256", max_length=64)
    change_note = models.CharField(_("what changed"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("file version")
        verbose_name_plural = _("file versions")
        ordering = ["dataset", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "version"], name="datasets_distribution_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} v{self.version}"


# --- Access to restricted data: requests, grants to a startup team, data-use agreements, the download log ---------


class AccessRequestStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AccessRequest(TimeStampedModel):
    """A startup asks for the files of a restricted dataset, with a purpose; the owner partner's members decide."""

    dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="access_requests", verbose_name=_("dataset")
    )
    startup = models.ForeignKey(
        "startups.Startup", on_delete=models.CASCADE, related_name="access_requests", verbose_name=_("startup")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    purpose = models.TextField(_("purpose"))
    status = models.CharField(
        _("status"), max_length=16, choices=AccessRequestStatus, default=AccessRequestStatus.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        ordering = ["-created_at"]
        constraints = [
            # One open request per dataset and startup, whoever of the team asks (the database's word, not a check).
            models.UniqueConstraint(
                fields=["dataset", "startup"],
                condition=models.Q(status="requested"),
                name="datasets_accessrequest_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.startup} → {self.dataset}"


class AccessGrantQuerySet(models.QuerySet):
    def active(self, now: Any = None) -> "AccessGrantQuerySet":
        """Grants in force at `now`: started, not ended, not revoked. The one definition of it."""
        now = now or timezone.now()
        return self.filter(starts_at__lte=now, ends_at__gt=now, revoked_at__isnull=True)


class AccessGrant(TimeStampedModel):
    """Access to a restricted dataset's files for a startup TEAM (every member), for a period; revocable."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="grants", verbose_name=_("dataset"))
    startup = models.ForeignKey(
        "startups.Startup", on_delete=models.CASCADE, related_name="dataset_grants", verbose_name=_("startup")
    )
    request = models.OneToOneField(
        AccessRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="grant",
        verbose_name=_("request"),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("granted by")
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"), help_text=_("Downloads stop at this instant."))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    reason = models.TextField(_("reason for revocation"), blank=True)

    objects = AccessGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="datasets_accessgrant_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.startup} → {self.dataset}"


class DataUseAgreement(models.Model):
    """One version of a dataset's data-use agreement (NDA): immutable; a new text is a new version to accept."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="agreements", verbose_name=_("dataset"))
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("text"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("published at"), auto_now_add=True)

    class Meta:
        verbose_name = _("data-use agreement")
        verbose_name_plural = _("data-use agreements")
        ordering = ["dataset", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "version"], name="datasets_agreement_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} – v{self.version}"


class AgreementAcceptance(models.Model):
    """Who accepted which version of an agreement, for which startup, when: kept for the record."""

    agreement = models.ForeignKey(
        DataUseAgreement, on_delete=models.PROTECT, related_name="acceptances", verbose_name=_("agreement")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    startup = models.ForeignKey(
        "startups.Startup", on_delete=models.PROTECT, related_name="+", verbose_name=_("startup")
    )
    accepted_at = models.DateTimeField(_("accepted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("agreement acceptance")
        verbose_name_plural = _("agreement acceptances")
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "user"], name="datasets_acceptance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.agreement}"


class DownloadLogQuerySet(models.QuerySet):
    def for_listing(self) -> "DownloadLogQuerySet":
        return self.select_related("user", "startup", "distribution__dataset", "grant").order_by("-at", "-pk")


class DownloadLog(models.Model):
    """One download of a governed file: who, for which startup, which file version, under which grant, when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    startup = models.ForeignKey(
        "startups.Startup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("startup"),
    )
    distribution = models.ForeignKey(
        Distribution, on_delete=models.PROTECT, related_name="downloads", verbose_name=_("file version")
    )
    grant = models.ForeignKey(
        AccessGrant, on_delete=models.PROTECT, null=True, blank=True, related_name="downloads", verbose_name=_("grant")
    )
    agreement = models.ForeignKey(
        DataUseAgreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agreement accepted"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    objects = DownloadLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("download")
        verbose_name_plural = _("download log")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} – {self.distribution} – {self.at:%Y-%m-%d %H:%M}"
