from itertools import pairwise

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from datacity.core.admin import InvitationAdmin

from .models import Challenge, JuryInvitation, JuryMembership, Phase, PhaseTransition, Program, Theme
from .services import JURY_SPACE


class PhaseInlineFormSet(BaseInlineFormSet):
    """Overlaps between phases edited together on one page, which no single form can see."""

    def clean(self) -> None:
        super().clean()
        periods = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("starts_at") or not data.get("ends_at"):
                continue
            periods.append((data["starts_at"], data["ends_at"], data.get("title") or data.get("title_fr") or ""))
        periods.sort()
        for (_start, end, title), (next_start, _end, next_title) in pairwise(periods):
            if next_start < end:
                raise ValidationError(
                    _("Phases “%(first)s” and “%(second)s” overlap.") % {"first": title, "second": next_title}
                )


class PhaseInline(TranslationTabularInline):
    model = Phase
    formset = PhaseInlineFormSet
    extra = 0
    ordering = ["order"]
    fields = ["order", "kind", "title", "starts_at", "ends_at"]


class JuryMembershipInline(admin.TabularInline):
    model = JuryMembership
    extra = 0
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]
    can_delete = True
    verbose_name_plural = _("jury (members join through an invitation)")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Program)
class ProgramAdmin(TranslationAdmin):
    list_display = ["name", "city", "starts_on", "ends_on", "time_zone", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["name_fr", "name_ar", "name_en", "city", "slug"]
    prepopulated_fields = {"slug": ["name_fr"]}
    date_hierarchy = "starts_on"
    inlines = [PhaseInline, JuryMembershipInline]


@admin.register(Phase)
class PhaseAdmin(TranslationAdmin):
    list_display = ["title", "program", "order", "kind", "starts_at", "ends_at", "status_display"]
    list_filter = ["program", "kind"]
    list_select_related = ["program"]
    search_fields = ["title_fr", "title_ar", "title_en"]
    ordering = ["program", "order"]

    @admin.display(description=_("status"))
    def status_display(self, obj: Phase) -> str:
        return obj.get_status_display()


@admin.register(PhaseTransition)
class PhaseTransitionAdmin(admin.ModelAdmin):
    list_display = ["phase", "status", "recorded_at"]
    list_filter = ["status", "phase__program"]
    list_select_related = ["phase__program"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Theme)
class ThemeAdmin(TranslationAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name_fr", "name_ar", "name_en"]
    prepopulated_fields = {"slug": ["name_fr"]}


@admin.register(Challenge)
class ChallengeAdmin(TranslationAdmin):
    list_display = ["title", "program", "owner", "status", "is_featured", "updated_at"]
    list_filter = ["status", "is_featured", "program", "themes", "owner"]
    list_select_related = ["program", "owner"]
    list_editable = ["status", "is_featured"]
    search_fields = ["title_fr", "title_ar", "title_en", "slug", "owner__name_fr"]
    prepopulated_fields = {"slug": ["title_fr"]}
    autocomplete_fields = ["owner", "co_sponsors", "themes", "program"]
    fieldsets = [
        (None, {"fields": ["program", "title", "slug", "summary", "status", "is_featured"]}),
        (_("The problem"), {"fields": ["problem_statement", "context", "expected_outcomes", "kpis"]}),
        (_("Who poses it"), {"fields": ["owner", "co_sponsors", "themes"]}),
    ]


@admin.register(JuryInvitation)
class JuryInvitationAdmin(InvitationAdmin):
    space = JURY_SPACE
    autocomplete_fields = ["program"]
