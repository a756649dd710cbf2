"""Staff's forms for an edition's phases: the seven standard phases offered, overlaps seen across the page."""

from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import translation
from django.utils.translation import gettext
from modeltranslation.settings import AVAILABLE_LANGUAGES
from modeltranslation.utils import build_localized_fieldname

from .models import PhaseKind


def standard_phases() -> list[dict[str, Any]]:
    """The generic program's seven phases, in order, as a phase form's initial data: kind, order and title in each
    language; the dates are left to staff."""
    rows = []
    for order, kind in enumerate(PhaseKind):
        row: dict[str, Any] = {"order": order, "kind": kind.value}
        for language in AVAILABLE_LANGUAGES:
            with translation.override(language):
                row[build_localized_fieldname("title", language)] = str(kind.label)
        rows.append(row)
    return rows


class PhaseInlineFormSet(BaseInlineFormSet):
    """An edition's phases edited on its page.

    Each row is checked against the edition's dates as they are being saved (the phase's own validation reads the
    edition in memory, which the edition's form has just filled in). Overlaps between rows are checked here, since
    no single row can see the others. A pre-filled standard phase whose dates staff leave empty is not changed, so
    it is neither validated nor saved.
    """

    def clean(self) -> None:
        super().clean()
        periods = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("starts_at") or not data.get("ends_at"):
                continue
            title = data.get(build_localized_fieldname("title", translation.get_language() or "fr"))
            periods.append((data["starts_at"], data["ends_at"], title or data.get("title_fr") or ""))
        periods.sort()
        for (_start, end, title), (next_start, _end, next_title) in pairwise(periods):
            if next_start < end:
                raise ValidationError(
                    gettext("Phases “%(first)s” and “%(second)s” overlap.") % {"first": title, "second": next_title}
                )
