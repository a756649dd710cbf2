"""What partners edit themselves: the public profile (its owners) and the experimentation sites (its members)."""

from datetime import date

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from datacity.core.uploads import accept_attribute

from .models import ExperimentationSite, Partner, SitePhoto
from .services import SITE_PHOTO_TYPES, check_site_photo


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


class ExperimentationSiteForm(forms.ModelForm):
    """A site as its partner's members describe it; the geometry is GeoJSON text, checked by the service."""

    class Meta:
        model = ExperimentationSite
        fields = [
            "name",
            "kind",
            "address",
            "description_fr",
            "description_ar",
            "description_en",
            "geometry",
            "has_power",
            "has_connectivity",
            "has_sensors",
            "infrastructure_notes",
            "constraints_fr",
            "constraints_ar",
            "constraints_en",
        ]
        widgets = {
            "description_fr": forms.Textarea(attrs={"rows": 4, "lang": "fr"}),
            "description_ar": forms.Textarea(attrs={"rows": 4, "dir": "rtl", "lang": "ar"}),
            "description_en": forms.Textarea(attrs={"rows": 4, "lang": "en"}),
            "constraints_fr": forms.Textarea(attrs={"rows": 3, "lang": "fr"}),
            "constraints_ar": forms.Textarea(attrs={"rows": 3, "dir": "rtl", "lang": "ar"}),
            "constraints_en": forms.Textarea(attrs={"rows": 3, "lang": "en"}),
            "geometry": forms.Textarea(attrs={"rows": 6, "dir": "ltr", "spellcheck": "false"}),
            "infrastructure_notes": forms.Textarea(attrs={"rows": 3}),
        }


class AvailabilityWindowForm(forms.Form):
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("To (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean() or {}
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("A window must end on or after the day it starts."))
        return cleaned


AvailabilityFormSet = forms.formset_factory(AvailabilityWindowForm, extra=2, can_delete=True)


def availability_windows(formset) -> list[tuple[date, date]]:
    """The windows a valid formset keeps: the filled rows not ticked for deletion."""
    rows: list[dict] = [form.cleaned_data or {} for form in formset.forms]
    return [(row["starts_on"], row["ends_on"]) for row in rows if row and not row.get("DELETE")]


class SitePhotoForm(forms.ModelForm):
    """A photo and its caption, checked (size, type from its bytes) before the service stores it; for partner
    members and staff alike. A photo's image is not replaced once stored: a new image is a new photo."""

    class Meta:
        model = SitePhoto
        fields = ["image", "caption"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = filesizeformat(settings.SITE_PHOTO_MAX_BYTES)
        self.fields["image"].help_text = _("PNG, JPEG or WebP, %(limit)s at most.") % {"limit": limit}
        self.fields["image"].widget.attrs["accept"] = accept_attribute(SITE_PHOTO_TYPES)
        if self.instance.pk is not None:
            self.fields["image"].disabled = True

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and "image" in self.changed_data:
            check_site_photo(image)
        return image
