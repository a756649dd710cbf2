from django import forms
from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from datacity.core.admin import EvidenceAdmin, ServiceModelAdmin

from . import services
from .models import AccessGrant, AccessRequest, AgreementAcceptance, Dataset, DataUseAgreement, DownloadLog


@admin.register(Dataset)
class DatasetAdmin(ServiceModelAdmin, TranslationAdmin):
    list_display = ["title", "owner", "licence", "access_level", "updated_at"]
    list_filter = ["access_level", "licence", "owner"]
    list_select_related = ["owner"]
    search_fields = ["title_fr", "title_ar", "title_en", "slug"]
    prepopulated_fields = {"slug": ["title_fr"]}
    autocomplete_fields = ["owner", "challenges"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Controlled vocabularies as checkboxes, not the comma-separated text of an array field.
        if db_field.name in ("themes", "languages"):
            return forms.TypedMultipleChoiceField(
                label=db_field.verbose_name.capitalize(),
                choices=db_field.base_field.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        # The same services as the partners' pages: same validation, same audit entries.
        cleaned = form.cleaned_data
        names = form.changed_data if change else list(cleaned)
        data = {name: cleaned[name] for name in names if name in services.EDITABLE_FIELDS}
        challenges = cleaned["challenges"] if "challenges" in form.changed_data else None
        if change:
            owner = cleaned["owner"] if "owner" in form.changed_data else None
            services.dataset_update(dataset=obj, actor=request.user, data=data, challenges=challenges, owner=owner)
            return
        dataset = services.dataset_create(
            owner=cleaned["owner"], actor=request.user, data=data, challenges=challenges or ()
        )
        obj.pk, obj._state.adding = dataset.pk, False


@admin.register(AccessRequest)
class AccessRequestAdmin(EvidenceAdmin):
    list_display = ["dataset", "startup", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["dataset", "startup"]
    search_fields = ["dataset__slug", "startup__name"]


@admin.register(AccessGrant)
class AccessGrantAdmin(EvidenceAdmin):
    list_display = ["dataset", "startup", "starts_at", "ends_at", "revoked_at"]
    list_select_related = ["dataset", "startup"]
    search_fields = ["dataset__slug", "startup__name"]


@admin.register(DataUseAgreement)
class DataUseAgreementAdmin(EvidenceAdmin):
    list_display = ["dataset", "version", "created_at"]
    list_select_related = ["dataset"]


@admin.register(AgreementAcceptance)
class AgreementAcceptanceAdmin(EvidenceAdmin):
    list_display = ["agreement", "user", "startup", "accepted_at"]
    list_select_related = ["agreement__dataset", "user", "startup"]


@admin.register(DownloadLog)
class DownloadLogAdmin(EvidenceAdmin):
    list_display = ["at", "user", "startup", "distribution", "grant"]
    list_select_related = ["user", "startup", "distribution__dataset", "grant"]
    date_hierarchy = "at"
