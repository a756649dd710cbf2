"""Partner texts that staff write in French, Arabic and English (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from .models import ExperimentationSite, Partner


@register(Partner)
class PartnerTranslationOptions(TranslationOptions):
    fields = ("name", "description")


@register(ExperimentationSite)
class ExperimentationSiteTranslationOptions(TranslationOptions):
    fields = ("description", "constraints")
