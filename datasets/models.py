"""The data catalogue: what each partner shares, under which licence, and with whom."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from challenges.models import Challenge
from datacity.core.models import TimeStampedModel
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


class DatasetQuerySet(models.QuerySet):
    def public(self) -> "DatasetQuerySet":
        return self.filter(access_level=AccessLevel.PUBLIC)


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

    objects = DatasetQuerySet.as_manager()

    class Meta:
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
