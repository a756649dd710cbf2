"""The pages of what came after the experiments: an experiment's partnerships (recorded by either party or staff,
each party giving its own consent to publication), the follow-up questionnaires, staff's funnel of an edition, and
the public list of signed partnerships both parties agreed to publish."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from challenges import permissions as challenge_permissions
from datacity.pagecache import public_page
from partners.models import Partner
from partners.permissions import partners_visible_to

from . import partnerships, permissions
from .models import FollowUpSurvey, Partnership, PartnershipStage, ProcurementRoute, Selection

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PUBLIC_PAGE_SIZE = 50


class PartnershipForm(forms.Form):
    stage = forms.ChoiceField(label=gettext_lazy("Stage"), choices=PartnershipStage.choices)
    value = forms.DecimalField(
        label=gettext_lazy("Value (MAD)"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr"}),
    )
    procurement_route = forms.ChoiceField(
        label=gettext_lazy("Procurement route"),
        required=False,
        choices=[("", "—"), *ProcurementRoute.choices],
    )
    started_on = forms.DateField(label=gettext_lazy("Started on"), required=False, widget=DATE_INPUT)
    signed_on = forms.DateField(
        label=gettext_lazy("Signed on"),
        required=False,
        widget=DATE_INPUT,
        help_text=gettext_lazy("Required for a contract or a scale-up."),
    )
    ended_on = forms.DateField(label=gettext_lazy("Ended on"), required=False, widget=DATE_INPUT)
    notes = forms.CharField(
        label=gettext_lazy("Notes (never public)"),
        required=False,
        max_length=partnerships.NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )
    startup_agrees_public = forms.BooleanField(
        label=gettext_lazy("The startup agrees to publish this partnership"), required=False
    )
    partner_agrees_public = forms.BooleanField(
        label=gettext_lazy("The partner agrees to publish this partnership"), required=False
    )

    def __init__(self, *args: Any, sides: set[str], **kwargs: Any):
        """Each party sees its own consent only; staff record both."""
        super().__init__(*args, **kwargs)
        if not sides & {"startup", "staff"}:
            del self.fields["startup_agrees_public"]
        if not sides & {"partner", "staff"}:
            del self.fields["partner_agrees_public"]
        if "staff" not in sides:
            own = self.fields.get("startup_agrees_public") or self.fields.get("partner_agrees_public")
            if own is not None:
                own.label = gettext_lazy("We agree to publish this partnership (stage, dates, route and value)")


class NewPartnershipForm(PartnershipForm):
    partner = forms.TypedChoiceField(label=gettext_lazy("Partner"), coerce=int)

    field_order = ["partner"]

    def __init__(self, *args: Any, partner_choices: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = partner_choices  # type: ignore[attr-defined]
        self.order_fields(["partner", *(name for name in self.fields if name != "partner")])


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _partner_choices(request: HttpRequest, selection: Selection, sides: set[str]) -> list[tuple[int, str]]:
    """Whom a new partnership of this experiment may be with: staff choose any partner, the startup any partner it
    may see (the public ones, and its sponsor); the sponsor's members record their own organisation's only."""
    if "staff" in sides:
        return list(Partner.objects.order_by("name").values_list("pk", "name"))
    if "startup" in sides:
        visible = partners_visible_to(request.user).values("pk")
        sponsor = Q(pk=selection.sponsor_id) if selection.sponsor_id else Q(pk__in=[])
        return list(Partner.objects.filter(Q(pk__in=visible) | sponsor).order_by("name").values_list("pk", "name"))
    if selection.sponsor is not None:
        return [(selection.sponsor.pk, selection.sponsor.name)]
    return []


def _sides(request: HttpRequest, selection: Selection) -> set[str]:
    role = permissions.experiment_role(request.user, selection)
    sides = {"startup"} if role == "startup" else {"partner"} if role == "partner" else set()
    if partnerships.is_staff_recorder(request.user):
        sides.add("staff")
    return sides


def _may_edit(sides: set[str], selection: Selection, partnership: Partnership) -> bool:
    return bool(sides & {"staff", "startup"}) or ("partner" in sides and partnership.partner_id == selection.sponsor_id)


def _data(form: forms.Form) -> dict[str, Any]:
    names = ("stage", "value", "procurement_route", "started_on", "signed_on", "ended_on", "notes")
    flags = ("startup_agrees_public", "partner_agrees_public")
    data = {name: form.cleaned_data[name] for name in names}
    data.update({name: form.cleaned_data[name] for name in flags if name in form.fields})
    return data


def _initial(partnership: Partnership) -> dict[str, Any]:
    names = ("stage", "value", "procurement_route", "started_on", "signed_on", "ended_on", "notes")
    flags = ("startup_agrees_public", "partner_agrees_public")
    return {name: getattr(partnership, name) for name in (*names, *flags)}


@login_required
def experiment_partnership(request: HttpRequest, pk: int) -> HttpResponse:
    """The experiment's partnerships: the startup's with its sponsor and any recorded from this experiment; the
    parties and staff record or update them."""
    selection = permissions.access_experiment(request.user, pk)
    sides = _sides(request, selection)
    rows = list(partnerships.partnerships_of_experiment(selection))
    if sides == {"partner"}:
        # The sponsor's members follow the experiment, not the startup's dealings with other partners.
        rows = [row for row in rows if row.partner_id == selection.sponsor_id]
    for row in rows:
        row.may_edit = bool(sides) and _may_edit(sides, selection, row)  # type: ignore[attr-defined]
    choices = _partner_choices(request, selection, sides) if sides else []
    bound: tuple[int | None, forms.Form] | None = None
    status = 200
    if request.method == "POST":
        if not sides:
            messages.error(request, _("This action is not available here."))
            return _render(request, selection, rows, sides, choices, None, status=400)
        target = _int(request.POST.get("partnership"))
        partnership = next((row for row in rows if row.pk == target), None) if target is not None else None
        if (target is not None and (partnership is None or not partnership.may_edit)) or (  # type: ignore[attr-defined]
            target is None and request.POST.get("partnership")
        ):
            messages.error(request, _("This action is not available here."))
            return _render(request, selection, rows, sides, choices, None, status=400)
        form: PartnershipForm
        if partnership is None:
            form = NewPartnershipForm(request.POST, prefix="new", sides=sides, partner_choices=choices)
        else:
            form = PartnershipForm(request.POST, prefix=f"p{partnership.pk}", sides=sides)
        if form.is_valid():
            if partnership is None:
                partner = Partner.objects.get(pk=form.cleaned_data["partner"])
                record_selection: Selection | None = selection
            else:
                partner, record_selection = partnership.partner, partnership.selection
            try:
                partnerships.partnership_save(
                    actor=request.user,
                    startup=selection.startup,
                    partner=partner,
                    selection=record_selection,
                    data=_data(form),
                    partnership=partnership,
                )
            except partnerships.PartnershipRefused as refusal:
                name = str(refusal.details.get("field", ""))
                form.add_error(name if name in form.fields else None, str(refusal))
            else:
                messages.success(request, _("The partnership is recorded."))
                return HttpResponseRedirect(reverse("experiments:partnership", kwargs={"pk": selection.pk}))
        bound, status = (partnership.pk if partnership else None, form), 400
    return _render(request, selection, rows, sides, choices, bound, status=status)


def _render(
    request: HttpRequest,
    selection: Selection,
    rows: list[Partnership],
    sides: set[str],
    choices: list[tuple[int, str]],
    bound: tuple[int | None, forms.Form] | None,
    *,
    status: int,
) -> HttpResponse:
    for row in rows:
        form: forms.Form | None = None
        if getattr(row, "may_edit", False):
            form = PartnershipForm(prefix=f"p{row.pk}", sides=sides, initial=_initial(row))
            if bound is not None and bound[0] == row.pk:
                form = bound[1]
        row.form = form  # type: ignore[attr-defined]
    new_form: forms.Form | None = None
    if sides and choices:
        new_form = NewPartnershipForm(
            prefix="new", sides=sides, partner_choices=choices, initial={"partner": selection.sponsor_id}
        )
        if bound is not None and bound[0] is None:
            new_form = bound[1]
    context = {
        "selection": selection,
        "program": selection.program,
        "rows": rows,
        "new_form": new_form,
        "sides": sorted(sides),
        "surveys": list(FollowUpSurvey.objects.filter(selection=selection).order_by("months")),
    }
    return render(request, "partnerships/experiment.html", context, status=status)


# --- Follow-up questionnaires ----------------------------------------------------------------------------------------


class FollowUpForm(forms.Form):
    """The fields of `partnerships.QUESTIONS`; the service checks the answers again."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for question in partnerships.QUESTIONS:
            field: forms.Field
            if question.kind == "integer":
                field = forms.IntegerField(min_value=0, max_value=partnerships.EMPLOYEES_MAX)
            elif question.kind == "yes_no":
                field = forms.ChoiceField(choices=question.choices, widget=forms.RadioSelect)
            elif question.kind == "choice":
                field = forms.ChoiceField(choices=[("", "—"), *question.choices])
            else:
                field = forms.CharField(
                    max_length=partnerships.ANSWER_TEXT_MAX,
                    widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
                )
            field.label, field.required = question.label, question.required
            self.fields[question.key] = field


@login_required
def follow_up(request: HttpRequest, pk: int, months: int) -> HttpResponse:
    """A follow-up questionnaire of the experiment: the startup's members answer (again, to update), the others who
    follow the experiment read the answers; 404 before it is due."""
    selection = permissions.access_experiment(request.user, pk)
    # The experiment is visible (refusals are audited above); a questionnaire not due yet simply does not exist.
    survey = FollowUpSurvey.objects.filter(selection=selection, months=months).select_related("answered_by").first()
    if survey is None:
        raise Http404
    may_answer = permissions.experiment_role(request.user, selection) == "startup"
    status = 200
    form = FollowUpForm(initial=survey.answers) if may_answer else None
    if request.method == "POST":
        if not may_answer:
            messages.error(request, _("Only the startup's members answer its follow-up questionnaire."))
            status = 400
        else:
            form = FollowUpForm(request.POST)
            if form.is_valid():
                try:
                    partnerships.follow_up_answer(survey=survey, actor=request.user, answers=form.cleaned_data)
                except partnerships.PartnershipRefused as refusal:
                    name = str(refusal.details.get("field", ""))
                    form.add_error(name if name in form.fields else None, str(refusal))
                else:
                    messages.success(request, _("Thank you: your answers are recorded."))
                    return HttpResponseRedirect(
                        reverse("experiments:follow_up", kwargs={"pk": selection.pk, "months": months})
                    )
            status = 400
    answers = [
        (question, _answer_label(question, survey.answers.get(question.key))) for question in partnerships.QUESTIONS
    ]
    context = {
        "selection": selection,
        "program": selection.program,
        "survey": survey,
        "form": form,
        "answers": answers,
    }
    return render(request, "partnerships/follow_up.html", context, status=status)


def _answer_label(question: partnerships.Question, value: Any) -> Any:
    if value in (None, ""):
        return ""
    return dict(question.choices).get(value, value) if question.choices else value


# --- Staff's funnel and the public list -------------------------------------------------------------------------------


def funnel(request: HttpRequest, slug: str) -> HttpResponse:
    """Staff's funnel of an edition's partnerships and follow-up response rates; 404 (audited) for anyone else."""
    program = challenge_permissions.access_program_as_staff(request.user, slug)
    return render(request, "partnerships/funnel.html", {"funnel": partnerships.edition_funnel(program)})


@public_page
def public_list(request: HttpRequest) -> HttpResponse:
    """The signed partnerships both parties agreed to publish. Never the notes."""
    page = Paginator(partnerships.public_partnerships(), PUBLIC_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "partnerships/list.html", {"page": page})
