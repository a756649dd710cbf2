"""Staff's pages for partners: profile, members (through the membership services) and invitations."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from datacity.core.admin import InvitationAdmin, InvitesMembers, MembershipInline, ServiceModelAdmin

from .models import Partner, PartnerInvitation, PartnerMembership
from .services import PARTNER_SPACE


class PartnerMembershipInline(MembershipInline):
    model = PartnerMembership
    space = PARTNER_SPACE
    verbose_name_plural = _("members (adding someone here makes them a member at once; the usual way is an invitation)")


@admin.register(Partner)
class PartnerAdmin(InvitesMembers, ServiceModelAdmin, TranslationAdmin):
    list_display = ["name", "kind", "website", "is_public", "updated_at"]
    list_filter = ["kind", "is_public"]
    search_fields = ["name_fr", "name_ar", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_fr"]}
    inlines = [PartnerMembershipInline]
    invitation_model = PartnerInvitation


@admin.register(PartnerInvitation)
class PartnerInvitationAdmin(InvitationAdmin):
    space = PARTNER_SPACE
    autocomplete_fields = ["partner"]
