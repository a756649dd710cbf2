"""The startup profile form: texts in French, Arabic and English, at least one pitch."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Startup

PITCHES = ("pitch_fr", "pitch_ar", "pitch_en")


class StartupForm(forms.ModelForm):
    class Meta:
        model = Startup
        fields = [
            "name",
            *PITCHES,
            "description_fr",
            "description_ar",
            "description_en",
            "sector",
            "website",
            "city",
            "founded_year",
            "logo",
        ]
        widgets = {
            "description_fr": forms.Textarea(attrs={"rows": 5}),
            "description_ar": forms.Textarea(attrs={"rows": 5, "dir": "rtl", "lang": "ar"}),
            "description_en": forms.Textarea(attrs={"rows": 5}),
            "pitch_ar": forms.TextInput(attrs={"dir": "rtl", "lang": "ar"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in PITCHES:
            self.fields[name].required = False
        self.fields["website"].assume_scheme = "https"  # type: ignore[attr-defined]  # Django 5.2, not in the stubs

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not any(cleaned.get(name) for name in PITCHES):
            self.add_error("pitch_fr", _("Write your pitch in at least one language."))
        return cleaned
