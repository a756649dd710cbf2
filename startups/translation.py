"""Startup texts shown to the public in French, Arabic and English."""

from modeltranslation.translator import TranslationOptions, register

from .models import Startup


@register(Startup)
class StartupTranslationOptions(TranslationOptions):
    fields = ("pitch", "description")
