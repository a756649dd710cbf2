"""Dataset texts in French, Arabic and English."""

from modeltranslation.translator import TranslationOptions, register

from .models import Dataset


@register(Dataset)
class DatasetTranslationOptions(TranslationOptions):
    fields = ("title", "description", "keywords")
