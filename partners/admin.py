"""Staff's pages for partners: profile, members (through the membership services), invitations, and their
experimentation sites (through the sites' service)."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin

from datacity.core.admin import (
    InvitationAdmin,
    InvitesMembers,
    MembershipInline,
    ServiceInline,
    ServiceModelAdmin,
)

from .forms import SitePhotoForm
from .models import ExperimentationSite, Partner, PartnerInvitation, PartnerMembership, SiteAvailability, SitePhoto
from .services import PARTNER_SPACE, site_delete, site_photo_add, site_photo_remove, site_photo_update, site_save


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


class SitePhotoFormSet(BaseInlineFormSet):
    """A site's photos edited together: refused beyond SITE_PHOTOS_PER_SITE (the rule the service enforces)."""

    def clean(self) -> None:
        super().clean()
        kept = [form for form in self.forms if form.has_changed() or form.instance.pk is not None]
        kept = [form for form in kept if not (getattr(form, "cleaned_data", None) or {}).get("DELETE")]
        limit = settings.SITE_PHOTOS_PER_SITE
        if len(kept) > limit:
            raise forms.ValidationError(
                ngettext(
                    "A site has %(count)d photo at most: remove one before adding another.",
                    "A site has %(count)d photos at most: remove one before adding another.",
                    limit,
                )
                % {"count": limit}
            )


class SitePhotoInline(ServiceInline, admin.TabularInline):
    """A site's photos: added, re-captioned and removed through the photo services (an image is not replaced)."""

    model = SitePhoto
    form = SitePhotoForm
    formset = SitePhotoFormSet
    fields = ["image", "caption", "position", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0

    def get_max_num(self, request, obj=None, **kwargs):
        return settings.SITE_PHOTOS_PER_SITE

    def save_service(self, *, instance, actor, m2m) -> None:
        if instance.pk is None:
            photo = site_photo_add(site=instance.site, actor=actor, image=instance.image.file, caption=instance.caption)
            instance.pk, instance.image = photo.pk, photo.image
        else:
            site_photo_update(photo=instance, actor=actor, caption=instance.caption, position=instance.position)

    def delete_service(self, *, instance, actor) -> None:
        site_photo_remove(photo=instance, actor=actor)


@admin.register(ExperimentationSite)
class ExperimentationSiteAdmin(ServiceModelAdmin, TranslationAdmin):
    list_display = ["name", "partner", "kind", "updated_at"]
    list_filter = ["kind", "partner__is_public"]
    search_fields = ["name", "slug", "partner__name_fr", "address"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["partner"]
    list_select_related = ["partner"]
    inlines = [SiteAvailabilityInline, SitePhotoInline]

    def save_service(self, *, instance, actor, m2m) -> None:
        # The bounding box and the geometry's checks live in the service that partner members use too.
        site_save(site=instance, actor=actor)

    def delete_service(self, *, instance, actor) -> None:
        site_delete(site=instance, actor=actor)
