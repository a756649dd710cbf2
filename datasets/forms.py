"""A dataset's metadata as its partner's members edit it: texts in French, Arabic and English, and the DCAT-AP
fields (keywords, themes, contact point, coverage, update frequency, dates, languages)."""

from django import forms
from django.utils.text import format_lazy, slugify
from django.utils.translation import gettext_lazy as _

from challenges.models import Challenge

from .models import DataLanguage, Dataset, DataTheme
from .services import METADATA_FIELDS, TRANSLATED_FIELDS

TEXT_FIELDS = [f"{name}_{lang}" for name in TRANSLATED_FIELDS for lang in ("fr", "ar", "en")]


LANGUAGE_NAMES = {"fr": _("French"), "ar": _("Arabic"), "en": _("English")}
TEXT_LABELS = {"title": _("Title"), "description": _("Description"), "keywords": _("Keywords")}


def _language_attrs(name: str) -> dict[str, str]:
    lang = name.rsplit("_", 1)[1]
    return {"lang": lang, "dir": "rtl"} if lang == "ar" else {"lang": lang}


class DatasetForm(forms.ModelForm):
    themes = forms.MultipleChoiceField(
        label=_("Themes"), choices=DataTheme.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages of the data"),
        choices=DataLanguage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    challenges = forms.ModelMultipleChoiceField(
        label=_("Related challenges"),
        queryset=Challenge.objects.published().order_by("title"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Dataset
        fields = [*TEXT_FIELDS, *METADATA_FIELDS]
        widgets = {
            "temporal_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "temporal_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "issued": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "modified": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title_fr"].required = True
        for name in TEXT_FIELDS:
            field = self.fields[name]
            if name.startswith("description_"):
                field.widget = forms.Textarea(attrs={"rows": 5})
            field.widget.attrs.update(_language_attrs(name))
            base, lang = name.rsplit("_", 1)
            field.label = format_lazy("{} ({})", TEXT_LABELS[base], LANGUAGE_NAMES[lang])
        if self.instance.pk is not None:
            self.fields["challenges"].initial = list(self.instance.challenges.values_list("pk", flat=True))
            # The slug is the dataset's address: it stays once the dataset is published.
            del self.fields["slug"]
        else:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _("The dataset's address; made from the French title when left empty.")

    def clean(self):
        cleaned = super().clean() or {}
        if "slug" in self.fields and not cleaned.get("slug") and cleaned.get("title_fr"):
            cleaned["slug"] = slugify(cleaned["title_fr"])[:200]
        return cleaned

    def service_data(self) -> dict:
        """The changed values the service takes (the related challenges go apart)."""
        names = self.changed_data if self.instance.pk is not None else list(self.cleaned_data)
        return {name: self.cleaned_data[name] for name in names if name in self.Meta.fields}
