"""Startup texts shown to the public in French, Arabic and English."""

from modeltranslation.translator import TranslationOptions, register

from .models import EligibilityCondition, Question, Selection, Startup


@register(Startup)
class StartupTranslationOptions(TranslationOptions):
    fields = ("pitch", "description")


@register(Question)
class QuestionTranslationOptions(TranslationOptions):
    fields = ("label", "help_text", "choices")


@register(EligibilityCondition)
class EligibilityConditionTranslationOptions(TranslationOptions):
    fields = ("statement",)


@register(Selection)
class SelectionTranslationOptions(TranslationOptions):
    fields = ("prototype_summary",)
