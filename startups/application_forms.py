"""The forms of an application: the eligibility step, and the application itself built from the edition's and the
challenge's questions (each question's kind says which field asks it and which value its answer is)."""

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from datacity.core import uploads

from .models import Application, Attachment, EligibilityCondition, ProductStage, Question, QuestionKind

COMMON_TEXT_MAX = 10_000
LONG_TEXT_MAX = 10_000
SHORT_TEXT_MAX = 300
URL_MAX = 500
YES, NO = "yes", "no"
YES_NO = [(YES, _("Yes")), (NO, _("No"))]
CHOICE_KINDS = (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE, QuestionKind.YES_NO)


def _is_yes(value: str) -> bool:
    return value == YES


def eligibility_field(condition_id: int) -> str:
    return f"eligibility_{condition_id}"


def question_field(question_id: int) -> str:
    return f"question_{question_id}"


def keep_field(question_id: int) -> str:
    return f"keep_{question_id}"


def yes_no_field(label: str, *, required: bool) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=YES_NO, coerce=_is_yes, empty_value=None, required=required, widget=forms.RadioSelect
    )


class EligibilityForm(forms.Form):
    """The first step of an application: a yes or a no to every eligibility condition of the edition."""

    def __init__(self, *args: Any, conditions: Iterable[EligibilityCondition], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.conditions = list(conditions)
        for condition in self.conditions:
            self.fields[eligibility_field(condition.pk)] = yes_no_field(condition.statement, required=True)

    def answers(self) -> dict[str, bool]:
        return {str(condition.pk): self.cleaned_data[eligibility_field(condition.pk)] for condition in self.conditions}


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (the pattern of Django's documentation): cleans to a list, empty when none."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(upload, initial) for upload in files if upload]


@dataclass
class Row:
    """One question of the form, as the template shows it: its field, whether it must be answered to submit, its
    kind and, for a file question, the files already attached (with whether each is kept)."""

    field: forms.BoundField
    kind: str
    required: bool = False
    keep: forms.BoundField | None = None
    files: list[tuple[Attachment, bool]] = dataclasses.field(default_factory=list)

    @property
    def is_fieldset(self) -> bool:
        return self.kind in CHOICE_KINDS

    @property
    def help_id(self) -> str:
        return f"{self.field.auto_id}_helptext"

    @property
    def error_id(self) -> str:
        return f"{self.field.auto_id}_error"

    @property
    def described_by(self) -> str:
        """The ids of the help text and the error message, for aria-describedby."""
        ids = [self.help_id] if self.field.help_text else []
        return " ".join([*ids, self.error_id] if self.field.errors else ids)

    def widget(self) -> str:
        attrs: dict[str, str | bool] = {}
        if self.described_by:
            attrs["aria-describedby"] = self.described_by
        if self.field.errors:
            attrs["aria-invalid"] = "true"
        if self.required:
            attrs["aria-required"] = "true"
        return self.field.as_widget(attrs=attrs)


def long_text(label: Any, help_text: Any, *, rows: int) -> forms.CharField:
    """One of the common part's texts: optional in a draft, bounded in length."""
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=COMMON_TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ApplicationForm(forms.Form):
    """The whole application: the common part, the eligibility answers (correctable here) and one field per
    question. Nothing is required by the form itself (a draft may be incomplete): what a submission needs is the
    service's to say, and `required_to_submit` marks it. Types, lengths and files are checked here, before anything
    is stored."""

    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    solution = long_text(
        _("Proposed solution"), _("What you propose for this challenge, and how it answers the problem."), rows=8
    )
    data_use = long_text(
        _("Use of the partners' data and sites"),
        _("Which data, sites or equipment of the partners you would need, and what for."),
        rows=6,
    )
    team = long_text(_("Team"), _("Who would work on it, and what they have done before."), rows=5)
    stage = forms.ChoiceField(
        label=_("Stage of the product"), choices=ProductStage.choices, required=False, widget=forms.RadioSelect
    )
    internal_notes = long_text(
        _("Notes for the team"),
        _("Only your startup's members read these: never the partners, the jury or the program team."),
        rows=4,
    )
    COMMON = ("solution", "data_use", "team", "stage")

    def __init__(
        self,
        *args: Any,
        questions: Sequence[Question],
        conditions: Sequence[EligibilityCondition],
        application: Application | None,
        answers: Mapping[int, Any] | None = None,
        attachments: Iterable[Attachment] = (),
        **kwargs: Any,
    ):
        self.questions = list(questions)
        self.conditions = list(conditions)
        self.application = application
        # Every file of the application, by question: the ones a "keep" box may name.
        self.attachments: dict[int, dict[int, Attachment]] = {}
        for attachment in attachments:
            self.attachments.setdefault(attachment.question_id, {})[attachment.pk] = attachment
        if answers is not None:
            self.answered = dict(answers)
        super().__init__(*args, **kwargs)
        if not self.is_bound and "initial" not in kwargs:
            # What a form to fill in shows; a form sent shows what was sent, whatever was saved.
            self.initial = self._initial(application)
        self.required_to_submit = {*self.COMMON}
        for condition in self.conditions:
            self.fields[eligibility_field(condition.pk)] = yes_no_field(condition.statement, required=False)
            self.required_to_submit.add(eligibility_field(condition.pk))
        for question in self.questions:
            name = question_field(question.pk)
            self.fields[name] = self._question_field(question)
            if question.required:
                self.required_to_submit.add(name)
            if question.kind == QuestionKind.FILE:
                self.fields[keep_field(question.pk)] = forms.TypedMultipleChoiceField(
                    label=_("Files kept"),
                    choices=[(pk, attachment.name) for pk, attachment in self.attachments.get(question.pk, {}).items()],
                    coerce=int,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )

    # --- Building --------------------------------------------------------------------------------------------

    @cached_property
    def answered(self) -> dict[int, Any]:
        """The application's saved answers by question id: given to a form to fill in, read here only when a sent
        form is shown again (a form that is accepted redirects and never needs them)."""
        if self.application is None:
            return {}
        return dict(self.application.answers.values_list("question_id", "value"))

    def _initial(self, application: Application | None) -> dict[str, Any]:
        if application is None:
            return {"revision": 0}
        answers = self.answered
        initial: dict[str, Any] = {"revision": application.revision}
        initial.update({name: getattr(application, name) for name in (*self.COMMON, "internal_notes")})
        for condition in self.conditions:
            if str(condition.pk) in application.eligibility:
                initial[eligibility_field(condition.pk)] = YES if application.eligibility[str(condition.pk)] else NO
        for question in self.questions:
            value = answers.get(question.pk)
            if value is None:
                continue
            if question.kind == QuestionKind.FILE:
                initial[keep_field(question.pk)] = list(value) if isinstance(value, list) else []
            elif question.kind == QuestionKind.YES_NO:
                initial[question_field(question.pk)] = YES if value else NO
            else:
                initial[question_field(question.pk)] = value
        return initial

    def _question_field(self, question: Question) -> forms.Field:
        common: dict[str, Any] = {"label": question.label, "help_text": question.help_text, "required": False}
        kind = question.kind
        if kind == QuestionKind.LONG_TEXT:
            return forms.CharField(max_length=LONG_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5}), **common)
        if kind == QuestionKind.SINGLE_CHOICE:
            return forms.TypedChoiceField(
                choices=list(enumerate(question.choice_list())),
                coerce=int,
                empty_value=None,
                widget=forms.RadioSelect,
                **common,
            )
        if kind == QuestionKind.MULTIPLE_CHOICE:
            return forms.TypedMultipleChoiceField(
                choices=list(enumerate(question.choice_list())),
                coerce=int,
                widget=forms.CheckboxSelectMultiple,
                **common,
            )
        if kind == QuestionKind.NUMBER:
            return forms.DecimalField(
                max_digits=20, decimal_places=6, localize=True, widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                **common,
            )  # fmt: skip
        if kind == QuestionKind.URL:
            return forms.URLField(max_length=URL_MAX, assume_scheme="https", **common)
        if kind == QuestionKind.YES_NO:
            return forms.TypedChoiceField(
                choices=YES_NO, coerce=_is_yes, empty_value=None, widget=forms.RadioSelect, **common
            )
        if kind == QuestionKind.FILE:
            limits = ngettext(
                "Up to %(count)d file of %(size)s at most. Accepted: %(types)s.",
                "Up to %(count)d files of %(size)s at most each. Accepted: %(types)s.",
                settings.APPLICATION_FILES_PER_QUESTION,
            ) % {
                "count": settings.APPLICATION_FILES_PER_QUESTION,
                "size": filesizeformat(settings.APPLICATION_FILE_MAX_BYTES),
                "types": uploads.accepted_label(),
            }
            common["help_text"] = f"{question.help_text} {limits}".strip()
            return MultipleFileField(widget=MultipleFileInput(attrs={"accept": uploads.accept_attribute()}), **common)
        return forms.CharField(max_length=SHORT_TEXT_MAX, **common)

    # --- Checking --------------------------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for question in self.questions:
            if question.kind != QuestionKind.FILE:
                continue
            name = question_field(question.pk)
            new = cleaned.get(name) or []
            for upload in new:
                try:
                    uploads.check_upload(upload, max_bytes=settings.APPLICATION_FILE_MAX_BYTES)
                except ValidationError as error:
                    self.add_error(name, error)
            kept = cleaned.get(keep_field(question.pk)) or []
            limit = settings.APPLICATION_FILES_PER_QUESTION
            if len(kept) + len(new) > limit:
                self.add_error(
                    name,
                    ValidationError(
                        ngettext(
                            "At most %(limit)d file for this question: untick or remove some.",
                            "At most %(limit)d files for this question: untick or remove some.",
                            limit,
                        )
                        % {"limit": limit},
                        code="too_many_files",
                    ),
                )
        return cleaned

    # --- What the services are given -------------------------------------------------------------------------

    def uploads(self) -> dict[int, list[UploadedFile]]:
        """The new files, by question."""
        files = {
            question.pk: self.cleaned_data.get(question_field(question.pk)) or []
            for question in self.questions
            if question.kind == QuestionKind.FILE
        }
        return {question_id: sent for question_id, sent in files.items() if sent}

    def service_data(self, staged: Mapping[int, list[int]]) -> dict[str, Any]:
        """The common part, the eligibility answers given and every answer, in the values the services keep (a file
        question's answer: the ids of the files kept and of those just stored)."""
        data: dict[str, Any] = {name: self.cleaned_data.get(name) or "" for name in (*self.COMMON, "internal_notes")}
        if self.conditions:
            answered = {
                str(condition.pk): self.cleaned_data.get(eligibility_field(condition.pk))
                for condition in self.conditions
            }
            data["eligibility"] = {key: value for key, value in answered.items() if value is not None}
        answers: dict[int, Any] = {}
        for question in self.questions:
            value = self.cleaned_data.get(question_field(question.pk))
            if question.kind == QuestionKind.FILE:
                value = [*(self.cleaned_data.get(keep_field(question.pk)) or []), *staged.get(question.pk, [])]
            elif question.kind == QuestionKind.NUMBER:
                value = f"{value.normalize():f}" if isinstance(value, Decimal) else None
            elif question.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT, QuestionKind.URL):
                value = value or ""
            answers[question.pk] = value
        data["answers"] = answers
        return data

    def with_staged(
        self,
        staged: Mapping[int, Sequence[Attachment]],
        *,
        revision: int | None = None,
        answers: Mapping[int, Any] | None = None,
    ) -> "ApplicationForm":
        """The same form again, once the files sent are stored: they are listed as kept (and no longer as uploads),
        so sending the form again loses none of them; with the application's new `revision` once it was saved, and
        the saved `answers` whose files it lists (by default, this form's)."""
        data = cast(QueryDict, self.data).copy()
        if revision is not None:
            data["revision"] = str(revision)
        attachments = [item for by_id in self.attachments.values() for item in by_id.values()]
        for question_id, stored in staged.items():
            attachments += stored
            for attachment in stored:
                data.appendlist(keep_field(question_id), str(attachment.pk))
        form = type(self)(
            data,
            questions=self.questions,
            conditions=self.conditions,
            application=self.application,
            answers=self.answered if answers is None else answers,
            attachments=attachments,
        )
        form.is_valid()
        return form

    def add_service_errors(self, errors: Mapping[str, Sequence[str]]) -> None:
        """The services' messages ("question-12", "eligibility-3", "solution"), each beside its field."""
        named = {"question": question_field, "eligibility": eligibility_field}
        for key, messages in errors.items():
            kind, _sep, pk = key.partition("-")
            name = named[kind](int(pk)) if kind in named and pk.isdigit() else key
            for message in messages:
                self.add_error(name if name in self.fields else None, message)

    # --- Showing ---------------------------------------------------------------------------------------------

    def _row(self, name: str, kind: str, question: Question | None = None) -> Row:
        row = Row(field=self[name], kind=kind, required=name in self.required_to_submit)
        if question is not None and question.kind == QuestionKind.FILE:
            keep = self[keep_field(question.pk)]
            kept = {str(value) for value in (keep.value() or [])}
            listed = set(kept) | {str(pk) for pk in self.answered.get(question.pk) or [] if isinstance(pk, int)}
            row.keep = keep
            row.files = [
                (attachment, str(pk) in kept)
                for pk, attachment in self.attachments.get(question.pk, {}).items()
                if str(pk) in listed
            ]
        return row

    def common_rows(self) -> list[Row]:
        return [self._row(name, "single_choice" if name == "stage" else "long_text") for name in self.COMMON]

    def notes_row(self) -> Row:
        return self._row("internal_notes", "long_text")

    def eligibility_rows(self) -> list[Row]:
        return [self._row(eligibility_field(condition.pk), QuestionKind.YES_NO) for condition in self.conditions]

    def question_rows(self) -> list[Row]:
        return [self._row(question_field(question.pk), question.kind, question) for question in self.questions]

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(label, message, id of the field) for each error, for the list of links at the top of the page."""
        summary = []
        for name, errors in self.errors.items():
            if name == NON_FIELD_ERRORS:
                continue
            bound = self[name]
            summary += [(str(bound.label), str(message), bound.auto_id) for message in errors]
        return summary
