"""Challenge-side texts that staff and partners write in French, Arabic and English."""

from modeltranslation.translator import TranslationOptions, register

from .models import AgreementTemplate, Challenge, Criterion, DemoDay, Milestone, Phase, Program, Theme


@register(Program)
class ProgramTranslationOptions(TranslationOptions):
    fields = ("name", "city", "description")


@register(Phase)
class PhaseTranslationOptions(TranslationOptions):
    fields = ("title", "description")


@register(Theme)
class ThemeTranslationOptions(TranslationOptions):
    fields = ("name",)


@register(Challenge)
class ChallengeTranslationOptions(TranslationOptions):
    fields = ("title", "summary", "problem_statement", "context", "expected_outcomes", "kpis")


@register(Criterion)
class CriterionTranslationOptions(TranslationOptions):
    fields = ("name", "description")


@register(AgreementTemplate)
class AgreementTemplateTranslationOptions(TranslationOptions):
    fields = ("text", "ip_clause")


@register(Milestone)
class MilestoneTranslationOptions(TranslationOptions):
    fields = ("title", "description")


@register(DemoDay)
class DemoDayTranslationOptions(TranslationOptions):
    fields = ("place", "programme")
