"""The preferences form: how each optional kind of notice arrives by mail, and the language of the mails."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from . import kinds
from .kinds import Delivery, Kind

# Each kind's field is named after it, so that a field the page never offered (a mandatory kind, a kind that does not
# exist) is recognised and refused rather than silently dropped.
FIELD_PREFIX = "delivery-"


def field_name(kind: Kind) -> str:
    return FIELD_PREFIX + kind.name


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of your mails"),
        help_text=_("The platform writes its mails to you in this language, whatever the language of the page."),
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the options offered.")},
    )

    def __init__(self, *args: Any, deliveries: dict[str, str], language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = kinds.optional_kinds()
        language_field = self.fields["language"]
        assert isinstance(language_field, forms.ChoiceField)  # noqa: S101 - declared above
        # Each language by its own name: a person who cannot read the page's language still finds theirs.
        language_field.choices = [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]
        language_field.initial = language
        for kind in self.kinds:
            self.fields[field_name(kind)] = forms.ChoiceField(
                label=str(kind.label),  # in the language of the page, which is active now
                choices=Delivery.choices,
                initial=deliveries.get(kind.name, kind.default),
                widget=forms.RadioSelect,
                # Django's message repeats the value sent, whatever its size: not worth sending back.
                error_messages={"invalid_choice": _("Choose one of the options offered.")},
            )

    def delivery_fields(self) -> list[forms.BoundField]:
        return [self[field_name(kind)] for kind in self.kinds]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        offered = set(self.fields)
        if any(key.startswith(FIELD_PREFIX) and key not in offered for key in self.data):
            raise forms.ValidationError(
                _("Only the kinds of notice listed on this page can be changed."), code="unknown_kind"
            )
        return cleaned

    def choices(self) -> dict[str, str]:
        """The cleaned choices, by kind name, as `services.set_preferences` takes them."""
        return {kind.name: self.cleaned_data[field_name(kind)] for kind in self.kinds}
