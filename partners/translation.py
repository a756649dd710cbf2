"""Partner texts that staff write in French, Arabic and English (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from .models import Partner


@register(Partner)
class PartnerTranslationOptions(TranslationOptions):
    fields = ("name", "description")
