"""Staff's pages for the program: editions with their phases and jury, phases, themes, challenges, jury invitations."""

from typing import cast

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline
from modeltranslation.utils import get_translation_fields

from datacity.core.admin import InvitationAdmin, InvitesMembers, ServiceInline, ServiceModelAdmin

from . import services
from .forms import PhaseInlineFormSet, standard_phases
from .models import (
    Challenge,
    ChallengeStatus,
    JuryInvitation,
    JuryMembership,
    Phase,
    PhaseStatus,
    PhaseTransition,
    Program,
    ProgramQuerySet,
    ReminderRun,
    Theme,
)
from .services import JURY_SPACE, phase_save


def offers_standard_phases(program: Program | None) -> bool:
    """An edition being created, or one with no phase yet, is offered the seven standard phases."""
    return program is None or program.pk is None or not program.phases.exists()


class PhaseInline(ServiceInline, TranslationStackedInline):
    """An edition's phases, one compact block each (kind and order, the dates, the titles), so that their dates
    show on a 1280-pixel screen beside the admin's menu, which a table row of eight columns pushed off it."""

    model = Phase
    formset = PhaseInlineFormSet
    ordering = ["order", "starts_at"]
    fieldsets = [
        (None, {"fields": [("kind", "order"), ("starts_at", "ends_at"), tuple(get_translation_fields("title"))]}),
    ]

    def get_extra(self, request, obj=None, **kwargs) -> int:
        return len(standard_phases()) if offers_standard_phases(obj) else 0

    def save_service(self, *, instance, actor, m2m) -> None:
        phase_save(phase=instance, actor=actor, m2m=m2m)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name.startswith("title_"):
            # Three titles (one per language) on one line: narrower than the admin's 20em text inputs.
            field.widget.attrs["class"] = "phase-title"
            field.widget.attrs["size"] = 18
        return field


class JuryMembershipInline(ServiceInline, admin.TabularInline):
    model = JuryMembership
    extra = 0
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]
    can_delete = True
    verbose_name_plural = _("jury (members join through an invitation)")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def delete_service(self, *, instance, actor) -> None:
        services.jury_member_remove(membership=instance, actor=actor)


@admin.register(Program)
class ProgramAdmin(InvitesMembers, ServiceModelAdmin, TranslationAdmin):
    list_display = ["name", "is_published", "starts_on", "ends_on", "current_phase", "city"]
    list_filter = ["is_published"]
    search_fields = ["name_fr", "name_ar", "name_en", "city", "slug"]
    prepopulated_fields = {"slug": ["name_fr"]}
    date_hierarchy = "starts_on"
    inlines = [PhaseInline, JuryMembershipInline]
    invitation_model = JuryInvitation
    invite_label = _("Invite a jury member")

    def get_queryset(self, request):
        return cast(ProgramQuerySet, super().get_queryset(request)).with_phases()

    @admin.display(description=_("current phase"))
    def current_phase(self, obj: Program) -> str | None:
        phase = obj.current_phase()
        return phase.title if phase else None

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        # The same initial rows on the page and on its submission: a row left as offered has not changed.
        if isinstance(inline, PhaseInline) and offers_standard_phases(obj):
            kwargs["initial"] = standard_phases()
        return kwargs


class PhaseStatusFilter(admin.SimpleListFilter):
    """Upcoming, open or closed now, from the dates (as the status itself)."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return PhaseStatus.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case PhaseStatus.UPCOMING:
                return queryset.filter(starts_at__gt=now)
            case PhaseStatus.OPEN:
                return queryset.filter(starts_at__lte=now, ends_at__gt=now)
            case PhaseStatus.CLOSED:
                return queryset.filter(ends_at__lte=now)
        return queryset


@admin.register(Phase)
class PhaseAdmin(ServiceModelAdmin, TranslationAdmin):
    list_display = ["title", "status_display", "starts_at", "ends_at", "program", "kind", "order"]
    list_filter = [PhaseStatusFilter, "program", "kind"]
    list_select_related = ["program"]
    search_fields = ["title_fr", "title_ar", "title_en"]
    ordering = ["-program__starts_on", "order"]

    def save_service(self, *, instance, actor, m2m) -> None:
        phase_save(phase=instance, actor=actor, m2m=m2m)

    @admin.display(description=_("status"))
    def status_display(self, obj: Phase) -> str:
        return obj.get_status_display()


@admin.register(ReminderRun)
class ReminderRunAdmin(admin.ModelAdmin):
    """The reminder moments the clock dealt with (sent, or skipped): read-only, a technical table."""

    list_display = ["phase", "reminder", "offset", "due_at", "recorded_at", "recipients", "skipped"]
    list_filter = ["skipped", "reminder", "phase__program"]
    list_select_related = ["phase__program"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PhaseTransition)
class PhaseTransitionAdmin(admin.ModelAdmin):
    """What the clock recorded: read-only, and for superusers only (a technical table, see datacity.admin_site)."""

    list_display = ["phase", "sequence", "status", "at", "recorded_at"]
    list_filter = ["status", "phase__program"]
    list_select_related = ["phase__program"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Theme)
class ThemeAdmin(ServiceModelAdmin, TranslationAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name_fr", "name_ar", "name_en"]
    prepopulated_fields = {"slug": ["name_fr"]}


@admin.register(Challenge)
class ChallengeAdmin(ServiceModelAdmin, TranslationAdmin):
    list_display = ["title", "program", "owner", "status", "is_featured", "updated_at"]
    list_filter = ["status", "is_featured", "program", "themes", "owner"]
    list_select_related = ["program", "owner"]
    actions = ["publish", "unpublish"]
    search_fields = ["title_fr", "title_ar", "title_en", "slug", "owner__name_fr"]
    prepopulated_fields = {"slug": ["title_fr"]}
    autocomplete_fields = ["owner", "co_sponsors", "themes", "program"]
    fieldsets = [
        (None, {"fields": ["program", "title", "slug", "summary", "status", "is_featured"]}),
        (_("The problem"), {"fields": ["problem_statement", "context", "expected_outcomes", "kpis"]}),
        (_("Who poses it"), {"fields": ["owner", "co_sponsors", "themes"]}),
    ]

    def save_service(self, *, instance, actor, m2m) -> None:
        services.challenge_save(challenge=instance, actor=actor, m2m=m2m)

    def _set_status(self, request, queryset, status: str) -> int:
        return self.run_service(
            request,
            lambda challenge: services.challenge_set_status(challenge=challenge, status=status, actor=request.user),
            queryset.exclude(status=status),
        )

    @admin.action(description=_("Publish the selected challenges"), permissions=["change"])
    def publish(self, request, queryset) -> None:
        done = self._set_status(request, queryset, ChallengeStatus.PUBLISHED)
        self.message_user(request, ngettext("%d challenge published.", "%d challenges published.", done) % done)

    @admin.action(description=_("Unpublish the selected challenges (back to draft)"), permissions=["change"])
    def unpublish(self, request, queryset) -> None:
        done = self._set_status(request, queryset, ChallengeStatus.DRAFT)
        self.message_user(request, ngettext("%d challenge unpublished.", "%d challenges unpublished.", done) % done)


@admin.register(JuryInvitation)
class JuryInvitationAdmin(InvitationAdmin):
    """Everyone invited sits on the jury as a member: the form asks no role, the mail says "jury"."""

    space = JURY_SPACE
    ask_role = False
    autocomplete_fields = ["program"]
