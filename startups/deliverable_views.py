"""The page of an experiment's deliverables: per milestone, what the startup delivered (versions, links, files) and
what its sponsoring partner and the program team said; the startup submits, they comment and decide. Its files'
permission-checked downloads."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datacity.core import uploads
from datacity.core.access import visible_or_404

from . import deliverables, permissions
from .application_forms import MultipleFileField, MultipleFileInput
from .models import DeliverableFile, Selection

ACTIONS = ("submit", "comment", "review")


class SubmitForm(forms.Form):
    summary = forms.CharField(
        label=gettext_lazy("What this version delivers"),
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
        help_text=gettext_lazy("What was built or measured, what changed since the last version, what is next."),
    )
    links = forms.CharField(
        label=gettext_lazy("Links"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "ltr"}),
        help_text=gettext_lazy("One web address (http:// or https://) a line, %(limit)d at most.")
        % {"limit": deliverables.LINKS_MAX},
    )
    video_url = forms.CharField(
        label=gettext_lazy("Demo video"),
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "url"}),
        help_text=gettext_lazy("The web address of a video showing the prototype (optional)."),
    )
    attachments = MultipleFileField(
        label=gettext_lazy("Files"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": uploads.accept_attribute()}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = _("%(types)s; %(count)d files of %(size)s at most.") % {
            "types": uploads.accepted_label(),
            "count": deliverables.files_per_version(),
            "size": f"{deliverables.file_max_bytes() // (1024 * 1024)} MB",
        }

    def clean_attachments(self) -> list[Any]:
        # Checked here too, before the service's transaction: an infected file's audit entry must not be rolled
        # back with the refusal (the service checks again from the verdict kept on the file, no second scan).
        files = self.cleaned_data.get("attachments") or []
        errors: list[ValidationError] = []
        for upload in files:
            try:
                uploads.check_upload(upload, max_bytes=deliverables.file_max_bytes())
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        return files


class CommentForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Comment"), widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("approve", gettext_lazy("Approve")), ("request_changes", gettext_lazy("Ask for changes"))],
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=gettext_lazy("What the startup should change (required to ask for changes)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )


FORMS: dict[str, type[forms.Form]] = {"submit": SubmitForm, "comment": CommentForm, "review": ReviewForm}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _act(request: HttpRequest, selection: Selection, row: deliverables.MilestoneRow, action: str, form: forms.Form):
    """Call the service the form is for; a refusal is shown beside the field it is about."""
    data = form.cleaned_data
    if action == "submit":
        deliverables.deliverable_submit(
            selection=selection,
            milestone=row.milestone,
            actor=request.user,
            summary=data["summary"],
            links=data["links"].splitlines(),
            video_url=data["video_url"],
            files=data["attachments"],
        )
        return _("Your version is submitted: the sponsoring partner and the program team are told.")
    if row.deliverable is None:
        raise deliverables.DeliverableRefused(_("Nothing is delivered for this milestone yet."))
    if action == "comment":
        deliverables.deliverable_comment(deliverable=row.deliverable, actor=request.user, text=data["text"])
        return _("Your comment is added.")
    deliverables.deliverable_review(
        deliverable=row.deliverable, actor=request.user, decision=data["decision"], text=data["text"]
    )
    return _("Your decision is recorded: the startup is told.")


@login_required
def page(request: HttpRequest, pk: int) -> HttpResponse:
    selection = permissions.access_experiment(request.user, pk)
    role = permissions.experiment_role(request.user, selection)
    may_submit = role == "startup"
    may_review = deliverables.is_reviewer(request.user, selection)
    roles = {"may_submit": may_submit, "may_review": may_review}
    rows = deliverables.deliverable_rows(selection, timezone.now())
    bound: tuple[str, int, forms.Form] | None = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        row = next((row for row in rows if row.milestone.pk == _int(request.POST.get("milestone"))), None)
        allowed = {"submit": may_submit, "comment": may_submit or may_review, "review": may_review}
        if action not in ACTIONS or row is None or not allowed[action]:
            messages.error(request, _("This action is not available here."))
            return _render(request, selection, rows, None, roles=roles, status=400)
        form = FORMS[action](request.POST, request.FILES, prefix=_prefix(action, row.milestone.pk))
        if form.is_valid():
            try:
                done = _act(request, selection, row, action, form)
            except deliverables.DeliverableRefused as refusal:
                field = str(refusal.details.get("field", ""))
                field = "attachments" if field == "files" else field
                form.add_error(field if field in form.fields else None, str(refusal))
            else:
                messages.success(request, done)
                url = reverse("experiments:deliverables", kwargs={"pk": selection.pk})
                return HttpResponseRedirect(f"{url}#milestone-{row.milestone.pk}")
        bound, status = (action, row.milestone.pk, form), 400
    return _render(request, selection, rows, bound, roles=roles, status=status)


def _prefix(action: str, milestone_pk: int) -> str:
    return f"{action}-{milestone_pk}"


def _render(
    request: HttpRequest,
    selection: Selection,
    rows: list[deliverables.MilestoneRow],
    bound: tuple[str, int, forms.Form] | None,
    *,
    roles: dict[str, bool],
    status: int,
) -> HttpResponse:
    """The page, each row with its three forms: the one just sent (with its data and errors) or empty ones."""
    for row in rows:
        forms_of_row = {action: FORMS[action](prefix=_prefix(action, row.milestone.pk)) for action in ACTIONS}
        if bound is not None and bound[1] == row.milestone.pk:
            forms_of_row[bound[0]] = bound[2]
        row.forms = forms_of_row  # type: ignore[attr-defined]
    context = {"selection": selection, "program": selection.program, "rows": rows, **roles}
    return render(request, "experiments/deliverables.html", context, status=status)


@login_required
def deliverable_file(request: HttpRequest, pk: int, file: int) -> HttpResponseBase:
    """A file of a deliverable, to whoever follows the experiment; 404 otherwise (audited)."""
    selection = permissions.access_experiment(request.user, pk)
    stored = visible_or_404(DeliverableFile.objects.filter(version__deliverable__selection=selection), pk=file)
    return uploads.download_response(stored.file, filename=stored.name, content_type=stored.content_type)
