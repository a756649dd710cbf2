"""The scoring form: one score and one comment per criterion of the review's rubric, an overall comment, and whether
to save a draft or submit. It checks the types and lengths; the scales and the rules are the service's
(`reviews.review_save`)."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from challenges.models import Criterion

from .reviews import COMMENT_MAX_LENGTH, OVERALL_COMMENT_MAX_LENGTH

SAVE, SUBMIT = "save", "submit"
# Up to this many points on a scale, the score is a row of radio buttons; beyond, a number input.
RADIO_POINTS = 11


@dataclass(frozen=True)
class CriterionRow:
    criterion: Criterion
    score: forms.BoundField
    comment: forms.BoundField
    points: list[int]  # the scale's values when shown as radio buttons, else empty
    value: str  # the score as sent or saved, to check the right button again

    @property
    def errors(self) -> list[str]:
        return [*self.score.errors, *self.comment.errors]


class ReviewForm(forms.Form):
    action = forms.ChoiceField(choices=[(SAVE, _("Save draft")), (SUBMIT, _("Submit"))])
    comment = forms.CharField(
        label=_("Overall comment"),
        required=False,
        max_length=OVERALL_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: Any, criteria: list[Criterion], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"score_{criterion.pk}"] = forms.IntegerField(
                label=criterion.name,
                required=False,
                widget=forms.NumberInput(attrs={"min": criterion.scale_min, "max": criterion.scale_max}),
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=_("Comment on “%(criterion)s”") % {"criterion": criterion.name},
                required=False,
                max_length=COMMENT_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def rows(self) -> list[CriterionRow]:
        rows = []
        for criterion in self.criteria:
            score = self[f"score_{criterion.pk}"]
            span = criterion.scale_max - criterion.scale_min + 1
            points = list(range(criterion.scale_min, criterion.scale_max + 1)) if span <= RADIO_POINTS else []
            value = score.value()
            rows.append(
                CriterionRow(
                    criterion, score, self[f"comment_{criterion.pk}"], points, "" if value is None else str(value)
                )
            )
        return rows

    def scores(self) -> dict[int, int | None]:
        return {criterion.pk: self.cleaned_data.get(f"score_{criterion.pk}") for criterion in self.criteria}

    def comments(self) -> dict[int, str]:
        return {criterion.pk: self.cleaned_data.get(f"comment_{criterion.pk}") or "" for criterion in self.criteria}

    def add_refusal(self, message: str, criterion_id: int | None) -> None:
        """A refusal of the service, beside the criterion it names (or above the form)."""
        field = f"score_{criterion_id}" if criterion_id is not None and f"score_{criterion_id}" in self.fields else None
        self.add_error(field, message)

    @property
    def error_summary(self) -> list[tuple[str, str, str]]:
        """(label, message, id) of every field error, for the summary at the top."""
        return [
            (str(self.fields[name].label), str(message), self[name].auto_id)
            for name, errors in self.errors.items()
            if name != NON_FIELD_ERRORS and name in self.fields
            for message in errors
        ]
