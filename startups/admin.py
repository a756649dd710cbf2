from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from .models import Selection, Startup, StartupInvitation, StartupMembership


class StartupMembershipInline(admin.TabularInline):
    model = StartupMembership
    extra = 0
    autocomplete_fields = ["user"]


class SelectionInline(admin.TabularInline):
    model = Selection
    extra = 0
    autocomplete_fields = ["program", "challenge", "sponsor"]


@admin.register(Startup)
class StartupAdmin(TranslationAdmin):
    list_display = ["name", "sector", "city", "founded_year", "updated_at"]
    list_filter = ["sector", "city", "selections__program"]
    search_fields = ["name", "slug", "pitch_fr", "pitch_en", "pitch_ar"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [StartupMembershipInline, SelectionInline]


@admin.register(Selection)
class SelectionAdmin(admin.ModelAdmin):
    list_display = ["startup", "program", "challenge", "sponsor", "selected_on"]
    list_filter = ["program", "sponsor"]
    list_select_related = ["startup", "program", "challenge", "sponsor"]
    search_fields = ["startup__name"]
    autocomplete_fields = ["startup", "program", "challenge", "sponsor"]


@admin.register(StartupInvitation)
class StartupInvitationAdmin(admin.ModelAdmin):
    """Startups invite their own co-founders; staff only look."""

    list_display = ["email", "startup", "role", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_select_related = ["startup", "invited_by"]
    search_fields = ["email", "startup__name"]
    exclude = ["token_hash"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
