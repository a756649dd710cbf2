"""The partner's public profile, as its owners edit it: description in French, Arabic and English, logo, website."""

from django import forms

from .models import Partner


class PartnerProfileForm(forms.ModelForm):
    class Meta:
        model = Partner
        fields = ["description_fr", "description_ar", "description_en", "website", "logo"]
        widgets = {
            "description_fr": forms.Textarea(attrs={"rows": 6, "lang": "fr"}),
            "description_ar": forms.Textarea(attrs={"rows": 6, "dir": "rtl", "lang": "ar"}),
            "description_en": forms.Textarea(attrs={"rows": 6, "lang": "en"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["website"].assume_scheme = "https"  # type: ignore[attr-defined]  # Django 5.2, not in the stubs
