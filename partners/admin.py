from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from datacity.core.admin import InvitationAdmin

from .models import Partner, PartnerInvitation, PartnerMembership
from .services import PARTNER_SPACE


class PartnerMembershipInline(admin.TabularInline):
    model = PartnerMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Partner)
class PartnerAdmin(TranslationAdmin):
    list_display = ["name", "kind", "website", "is_public", "updated_at"]
    list_filter = ["kind", "is_public"]
    search_fields = ["name_fr", "name_ar", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_fr"]}
    inlines = [PartnerMembershipInline]


@admin.register(PartnerInvitation)
class PartnerInvitationAdmin(InvitationAdmin):
    space = PARTNER_SPACE
    autocomplete_fields = ["partner"]
