"""The juror's pages: their assignments, the declaration (no link, or a link: recusal) on an assigned application
before they see it, and their register of declared links."""

from itertools import groupby

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.validators import MaxLengthValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datacity.core.access import visible_or_404
from datacity.core.validators import validate_single_line

from . import assignment
from .assignment import DESCRIPTION_MAX_LENGTH, AssignmentRefused
from .models import ConflictDeclaration, ReviewStatus

NO_LINK, LINK = "no_link", "link"


class DeclareForm(forms.Form):
    """On an assigned application: no link with the startup, or a link (described)."""

    choice = forms.ChoiceField(
        label=gettext_lazy("Your declaration"),
        widget=forms.RadioSelect,
        choices=[
            (NO_LINK, gettext_lazy("I have no link with this startup")),
            (LINK, gettext_lazy("I have a link with this startup")),
        ],
    )
    description = forms.CharField(
        label=gettext_lazy("Nature of the link"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("If you have a link: what it is (family, shareholder, former colleague, client...)."),
    )

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("choice") == LINK and not (cleaned.get("description") or "").strip():
            self.add_error("description", _("Describe the link: the description is required."))
        return cleaned


class DeclarationForm(forms.Form):
    """A standing link, kept in the juror's register across editions."""

    startup: forms.ModelChoiceField = forms.ModelChoiceField(
        label=gettext_lazy("Startup"), queryset=None, required=False
    )
    organisation = forms.CharField(
        label=gettext_lazy("Organisation"),
        required=False,
        max_length=ConflictDeclaration._meta.get_field("organisation").max_length,
        validators=[validate_single_line],
        help_text=gettext_lazy(
            "A company or body you are linked to, by name (a startup of that name is then excluded)."
        ),
    )
    person = forms.CharField(
        label=gettext_lazy("Person"),
        required=False,
        max_length=ConflictDeclaration._meta.get_field("person").max_length,
        validators=[validate_single_line],
        help_text=gettext_lazy("Someone you are linked to (family, business partner, former colleague)."),
    )
    description = forms.CharField(
        label=gettext_lazy("Nature of the link"),
        max_length=DESCRIPTION_MAX_LENGTH,
        validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)],
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, startups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["startup"].queryset = startups  # type: ignore[attr-defined]

    def clean(self):
        cleaned = super().clean() or {}
        if not self.errors and not (cleaned.get("startup") or cleaned.get("organisation") or cleaned.get("person")):
            raise forms.ValidationError(_("Name the startup, organisation or person you are linked to."))
        return cleaned


def _jury_only(request: HttpRequest) -> None:
    """The jury's pages exist for jury members only."""
    if not assignment.jury_programs_of(request.user).exists():
        raise Http404


@login_required
def assignments(request: HttpRequest) -> HttpResponse:
    """The juror's reviews, by challenge: before the declaration, only the startup's name (or the application's
    number in a blind review) and a link to declare; after it, a link to the review."""
    _jury_only(request)
    reviews = list(assignment.assignments_of(request.user))
    groups = [
        {"challenge": challenge, "reviews": list(rows)}
        for challenge, rows in groupby(reviews, key=lambda review: review.application.challenge)
    ]
    return render(
        request,
        "jury/assignments.html",
        {"groups": groups, "to_declare": sum(1 for r in reviews if r.status == ReviewStatus.ASSIGNED)},
    )


@login_required
def declare(request: HttpRequest, pk: int) -> HttpResponse:
    """The declaration on one assigned application, before the juror sees anything of it but the startup's name."""
    _jury_only(request)
    review = visible_or_404(assignment.assignments_of(request.user), pk=pk)
    if review.status != ReviewStatus.ASSIGNED:
        return redirect("jury:review", pk=review.pk)
    form = DeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["choice"] == NO_LINK:
                assignment.review_clear(review=review, juror=request.user)
            else:
                assignment.review_recuse(
                    review=review, juror=request.user, description=form.cleaned_data["description"]
                )
        except AssignmentRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            if form.cleaned_data["choice"] == NO_LINK:
                return redirect("jury:review", pk=review.pk)
            messages.success(
                request, _("Your link is recorded in your register: another juror reviews this application.")
            )
            return redirect("jury:assignments")
    status = 400 if request.method == "POST" else 200
    return render(request, "jury/declare.html", {"review": review, "form": form}, status=status)


@login_required
def declarations(request: HttpRequest) -> HttpResponse:
    """The juror's register of declared links, and a form to declare a standing one."""
    _jury_only(request)
    form = DeclarationForm(request.POST or None, startups=assignment.startups_judged_by(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assignment.conflict_declare(
                juror=request.user,
                startup=data["startup"],
                organisation=data["organisation"],
                person=data["person"],
                description=data["description"],
            )
        except AssignmentRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Your link is recorded in your register."))
            return redirect("jury:declarations")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "declarations": assignment.declarations_of(request.user)}
    return render(request, "jury/declarations.html", context, status=status)
