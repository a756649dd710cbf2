from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from datacity.core.admin import ServiceModelAdmin

from .models import Dataset


@admin.register(Dataset)
class DatasetAdmin(ServiceModelAdmin, TranslationAdmin):
    list_display = ["title", "owner", "licence", "access_level", "updated_at"]
    list_filter = ["access_level", "licence", "owner"]
    list_select_related = ["owner"]
    search_fields = ["title_fr", "title_ar", "title_en", "slug"]
    prepopulated_fields = {"slug": ["title_fr"]}
    autocomplete_fields = ["owner", "challenges"]
