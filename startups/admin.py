"""Staff's pages for startups: profile, members (through the membership services) and selections."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from datacity.core.admin import MembershipInline, ServiceInline, ServiceModelAdmin

from . import services
from .models import Selection, Startup, StartupInvitation, StartupMembership


class StartupMembershipInline(MembershipInline):
    model = StartupMembership
    space = services.STARTUP_SPACE
    verbose_name_plural = _("members (adding someone here makes them a member at once; founders usually invite)")


class SelectionWrites:
    def save_service(self, *, instance, actor, m2m) -> None:
        services.selection_save(selection=instance, actor=actor)

    def delete_service(self, *, instance, actor) -> None:
        services.selection_delete(selection=instance, actor=actor)


class SelectionInline(SelectionWrites, ServiceInline, admin.TabularInline):
    model = Selection
    extra = 0
    autocomplete_fields = ["program", "challenge", "sponsor"]


@admin.register(Startup)
class StartupAdmin(ServiceModelAdmin, TranslationAdmin):
    list_display = ["name", "sector", "city", "founded_year", "updated_at"]
    list_filter = ["sector", "city", "selections__program"]
    search_fields = ["name", "slug", "pitch_fr", "pitch_en", "pitch_ar"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [StartupMembershipInline, SelectionInline]


@admin.register(Selection)
class SelectionAdmin(SelectionWrites, ServiceModelAdmin):
    list_display = ["startup", "program", "challenge", "sponsor", "selected_on"]
    list_filter = ["program", "sponsor"]
    list_select_related = ["startup", "program", "challenge", "sponsor"]
    search_fields = ["startup__name"]
    autocomplete_fields = ["startup", "program", "challenge", "sponsor"]


@admin.register(StartupInvitation)
class StartupInvitationAdmin(ServiceModelAdmin):
    """Startups invite their own co-founders; staff look, and may withdraw an invitation."""

    list_display = ["email", "startup", "role", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_select_related = ["startup", "invited_by"]
    search_fields = ["email", "startup__name"]
    exclude = ["token_hash"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_service(self, *, instance, actor) -> None:
        from datacity.core.organisations import invitation_revoke

        invitation_revoke(space=services.STARTUP_SPACE, invitation=instance, actor=actor)
