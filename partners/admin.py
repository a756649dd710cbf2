"""Staff's pages for partners: profile, members (through the membership services), invitations, and their
experimentation sites (through the sites' service)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from datacity.core.admin import (
    InvitationAdmin,
    InvitesMembers,
    MembershipInline,
    ServiceInline,
    ServiceModelAdmin,
)

from .models import ExperimentationSite, Partner, PartnerInvitation, PartnerMembership, SiteAvailability
from .services import PARTNER_SPACE, site_save


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


class SiteAvailabilityInline(ServiceInline, admin.TabularInline):
    model = SiteAvailability
    extra = 1


@admin.register(ExperimentationSite)
class ExperimentationSiteAdmin(ServiceModelAdmin, TranslationAdmin):
    list_display = ["name", "partner", "kind", "updated_at"]
    list_filter = ["kind", "partner__is_public"]
    search_fields = ["name", "slug", "partner__name_fr", "address"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["partner"]
    list_select_related = ["partner"]
    inlines = [SiteAvailabilityInline]

    def save_service(self, *, instance, actor, m2m) -> None:
        # The bounding box and the geometry's checks live in the service that partner members use too.
        site_save(site=instance, actor=actor)
