"""The public catalogue's search and filters (django-filter): words, partner, theme, licence, access level, format."""

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname

from datacity.core.uploads import DATASET_FILES
from partners.models import Partner

from .models import AccessLevel, Dataset, DataTheme, Distribution, Licence

# The formats a dataset's files can have: those the upload recognises (the names stored on each file version).
FORMATS = sorted({kind.label for kind in DATASET_FILES})

SEARCHED_FIELDS = ("title", "description", "keywords")


class DatasetFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Words of a title, description or keyword")}),
    )
    partner = django_filters.ModelChoiceFilter(
        label=_("Partner"),
        field_name="owner",
        queryset=Partner.objects.public().order_by("name"),
        to_field_name="slug",
        empty_label=_("All partners"),
    )
    theme = django_filters.ChoiceFilter(
        label=_("Theme"), choices=DataTheme.choices, method="filter_theme", empty_label=_("All themes")
    )
    licence = django_filters.ChoiceFilter(label=_("Licence"), choices=Licence.choices, empty_label=_("All licences"))
    access = django_filters.ChoiceFilter(
        label=_("Access"), field_name="access_level", choices=AccessLevel.choices, empty_label=_("All access levels")
    )

    format = django_filters.ChoiceFilter(
        label=_("Format"),
        choices=[(name, name) for name in FORMATS],
        method="filter_format",
        empty_label=_("All formats"),
    )

    class Meta:
        model = Dataset
        fields = ["q", "partner", "theme", "licence", "access", "format"]

    def search(self, queryset, name, value):
        """Every word must appear in a title, description or keywords as the visitor reads them: in their
        language, or in the default language where the translation is missing (the text then shown)."""
        language = get_language() or settings.MODELTRANSLATION_DEFAULT_LANGUAGE
        if language not in settings.MODELTRANSLATION_LANGUAGES:
            language = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
        default = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
        for word in value.split()[:10]:
            matches = Q()
            for field in SEARCHED_FIELDS:
                own, fallback = build_localized_fieldname(field, language), build_localized_fieldname(field, default)
                matches |= Q(**{f"{own}__icontains": word})
                if own != fallback:
                    missing = Q(**{own: ""}) | Q(**{f"{own}__isnull": True})
                    matches |= missing & Q(**{f"{fallback}__icontains": word})
            queryset = queryset.filter(matches)
        return queryset

    def filter_theme(self, queryset, name, value):
        return queryset.filter(themes__contains=[value])

    def filter_format(self, queryset, name, value):
        """Datasets with at least one file version of that format (old versions count: they stay downloadable)."""
        return queryset.filter(Exists(Distribution.objects.filter(dataset=OuterRef("pk"), format=value)))
