"""The applicants' pages: applying to a challenge (eligibility first), an application read and edited by its startup's
members (read by the owning partner once sent), withdrawing it, a startup's applications, and its files."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from challenges.models import Challenge, Phase, PhaseKind, PhaseStatus, Program
from datacity.core import uploads
from datacity.core.access import visible_or_404

from . import permissions, services
from .application_forms import ApplicationForm, EligibilityForm
from .models import (
    APPLICANT_TRANSITIONS,
    Application,
    ApplicationStatus,
    Attachment,
    EligibilityCondition,
    Question,
    QuestionKind,
    Startup,
)

SAVE, SUBMIT = "save", "submit"
CLOSING_SOON = timedelta(hours=24)


@dataclass(frozen=True)
class Deadline:
    """An edition's call for applications as the applicants' pages show it: when it closes, in the edition's time
    zone (named), how long is left, and whether it closes within a day."""

    call: Phase | None
    zone: str
    now: datetime
    extended_until: datetime | None = None  # staff's extension for one application, past the call's end

    @property
    def status(self) -> str | None:
        return self.call.status(self.now) if self.call is not None else None

    @property
    def is_extended(self) -> bool:
        """Past the call's end, within the extension staff gave this application (the services decide the same)."""
        return self.status == PhaseStatus.CLOSED and self.extended_until is not None and self.now < self.extended_until

    @property
    def is_open(self) -> bool:
        return self.status == PhaseStatus.OPEN or self.is_extended

    @property
    def closing_soon(self) -> bool:
        end = self.extended_until if self.is_extended else (self.call.ends_at if self.call is not None else None)
        return self.is_open and end is not None and end - self.now <= CLOSING_SOON


def deadline_of(program: Program, application: Application | None = None) -> Deadline:
    return Deadline(
        call=services.call_phase(program),
        zone=str(program.time_zone),
        now=timezone.now(),
        extended_until=application.extended_until if application is not None else None,
    )


def applicant_actions(application: Application | None) -> list[str]:
    """What a member may do with the form, from the table of applicant transitions: save a draft (also to take a
    withdrawn application up again) and submit (or submit the changes)."""
    if application is None:
        return [SAVE, SUBMIT]
    allowed = APPLICANT_TRANSITIONS.get(application.status, frozenset())
    actions = [SAVE] if application.status == ApplicationStatus.DRAFT or ApplicationStatus.DRAFT in allowed else []
    return [*actions, SUBMIT] if ApplicationStatus.SUBMITTED in allowed else actions


# --- Applying ---------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def application_apply(request: HttpRequest, challenge: int) -> HttpResponse:
    """From a challenge's page: which startup applies, then its eligibility, then the form; an existing application
    is continued rather than started twice."""
    target = visible_or_404(Challenge.objects.published().select_related("program", "owner"), pk=challenge)
    startups = list(permissions.startups_of_member(request.user).order_by("name"))
    deadline = deadline_of(target.program)
    context: dict[str, Any] = {"challenge": target, "program": target.program, "deadline": deadline}
    if not startups:
        context["create_url"] = f"{reverse('startups:create')}?{urlencode({'next': request.get_full_path()})}"
        return render(request, "startups/application_start.html", {**context, "step": "no_startup"})
    startup = (
        startups[0] if len(startups) == 1 else next((s for s in startups if s.slug == request.GET.get("startup")), None)
    )
    if startup is None:
        applied = dict(
            Application.objects.filter(startup__in=startups, challenge=target).values_list("startup_id", "pk")
        )
        choices = [(each, applied.get(each.pk)) for each in startups]
        return render(request, "startups/application_start.html", {**context, "step": "choose", "choices": choices})
    existing = Application.objects.filter(startup=startup, challenge=target).values_list("pk", flat=True).first()
    if existing is not None:
        return redirect("startups:application", pk=existing)
    context["startup"] = startup
    if request.method == "GET" and not deadline.is_open:
        return render(request, "startups/application_start.html", {**context, "step": "closed"})
    conditions = list(target.program.eligibility_conditions.all())
    if not conditions:
        return application_form_page(request, startup=startup, challenge=target, application=None, deadline=deadline)
    return eligibility_page(request, startup=startup, challenge=target, conditions=conditions, context=context)


def eligibility_page(
    request: HttpRequest,
    *,
    startup: Startup,
    challenge: Challenge,
    conditions: list[EligibilityCondition],
    context: dict[str, Any],
) -> HttpResponse:
    form = EligibilityForm(request.POST if request.method == "POST" else None, conditions=conditions)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            answers = form.answers()
            try:
                application = services.application_save(
                    startup=startup, challenge=challenge, actor=request.user, data={"eligibility": answers}, revision=0
                )
            except services.ApplicationRefused as refused:
                messages.error(request, str(refused))
                status = 409 if refused.details.get("reason_code") == "conflict" else 400
            else:
                if all(answers.values()):
                    messages.success(request, _("Your startup meets the conditions: your application is started."))
                    return redirect("startups:application_edit", pk=application.pk)
                return redirect("startups:application", pk=application.pk)
        else:
            status = 400
    return render(
        request, "startups/application_start.html", {**context, "step": "eligibility", "form": form}, status=status
    )


def application_form_page(
    request: HttpRequest,
    *,
    startup: Startup,
    challenge: Challenge,
    application: Application | None,
    deadline: Deadline | None,
) -> HttpResponse:
    """The application form, new (from the apply page) or existing: validated here, files stored first, then saved
    or submitted by the services; whatever is refused, the page comes back with everything typed and sent.

    A form sent reads nothing it needs only to be shown again (the saved answers, the `deadline` when not given):
    the services decide, and an accepted form redirects."""
    questions = list(services.questions_for(challenge))
    conditions = list(challenge.program.eligibility_conditions.all())
    posted = request.method == "POST"
    answers: dict[int, Any] | None = {}
    attachments: list[Attachment] = []
    if application is not None:
        answers = None if posted else dict(application.answers.values_list("question_id", "value"))
        attachments = list(application.attachments.all())
    actions = applicant_actions(application)
    form = ApplicationForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        questions=questions,
        conditions=conditions,
        application=application,
        answers=answers,
        attachments=attachments,
    )
    status = 200
    files_dropped = conflict = False
    if posted:
        action = request.POST.get("action")
        if action not in actions:
            messages.error(request, _("This application cannot be saved that way now."))
            status = 400
        elif not form.is_valid():
            status = 400
            # A browser never fills a file input again: say that the files chosen must be chosen again.
            files_dropped = bool(request.FILES)
        else:
            staged: dict[int, list[int]] = {}
            try:
                if sent := form.uploads():
                    staged = services.attachments_stage(
                        startup=startup, challenge=challenge, uploads=sent, actor=request.user
                    )
                save = services.application_submit if action == SUBMIT else services.application_save
                saved = save(
                    startup=startup,
                    challenge=challenge,
                    actor=request.user,
                    data=form.service_data(staged),
                    revision=form.cleaned_data["revision"],
                )
            except services.ApplicationInvalid as invalid:
                revision = None
                # The page lists the files of the answers saved before this request: read before a draft replaces them.
                answered = form.answered
                if action == SUBMIT and SAVE in actions:
                    # An unfinished draft sent for submission is kept as a draft: nothing typed waits on the page
                    # only. A submitted application keeps its last submitted state until the changes are complete.
                    revision = _keep_draft(startup, challenge, request.user, form, staged)
                    if revision is not None:
                        messages.info(request, _("Your draft is saved but not submitted: complete what is marked."))
                form = form.with_staged(_stored(staged), revision=revision, answers=answered)
                form.add_service_errors(invalid.errors)
                status = 400
            except services.ApplicationRefused as refused:
                messages.error(request, str(refused))
                form = form.with_staged(_stored(staged))
                conflict = refused.details.get("reason_code") == "conflict"
                status = 409 if conflict else 400
            else:
                messages.success(request, _success_message(saved, submitted=action == SUBMIT))
                return redirect("startups:application", pk=saved.pk)
            if application is None:  # a file sent with a refused first save started a draft: continue it
                application = Application.objects.filter(startup=startup, challenge=challenge).first()
    context = {
        "startup": startup,
        "challenge": challenge,
        "program": challenge.program,
        "application": application,
        "deadline": deadline or deadline_of(challenge.program, application),
        "form": form,
        "actions": actions,
        "form_action": reverse("startups:application_edit", kwargs={"pk": application.pk}) if application else "",
        "has_files": any(question.kind == QuestionKind.FILE for question in questions),
        "files_dropped": files_dropped,
        "conflict": conflict,
    }
    return render(request, "startups/application_form.html", context, status=status)


def _keep_draft(startup, challenge, actor, form: ApplicationForm, staged: dict[int, list[int]]) -> int | None:
    """Save what was sent as a draft; its new revision, or None when that too is refused (the form says why)."""
    try:
        saved = services.application_save(
            startup=startup,
            challenge=challenge,
            actor=actor,
            data=form.service_data(staged),
            revision=form.cleaned_data["revision"],
        )
    except services.ApplicationRefused:
        return None
    return saved.revision


def _stored(staged: dict[int, list[int]]) -> dict[int, list[Attachment]]:
    ids = [pk for pks in staged.values() for pk in pks]
    if not ids:
        return {}
    by_id = Attachment.objects.in_bulk(ids)
    return {question_id: [by_id[pk] for pk in pks if pk in by_id] for question_id, pks in staged.items()}


def _success_message(application: Application, *, submitted: bool) -> str:
    if not submitted:
        return _("Draft saved. It is not sent: submit it before the deadline.")
    number = application.versions.count()
    if number > 1:
        return _(
            "Your changes are submitted (version %(number)d). A confirmation is sent to your startup's members."
        ) % {"number": number}
    return _("Your application is submitted. A confirmation is sent to your startup's members.")


# --- One application --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    question: Question
    text: str
    files: list[Attachment]


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = permissions.access_application(request.user, pk)
    challenge = application.challenge
    is_member = permissions.is_member(request.user, application.startup)
    answers = dict(application.answers.values_list("question_id", "value"))
    files = {attachment.pk: attachment for attachment in application.attachments.all()}
    rows = []
    for question in services.questions_for(challenge):
        value = answers.get(question.pk)
        if question.kind == QuestionKind.FILE:
            ids = value if isinstance(value, list) else []
            rows.append(AnswerRow(question, "", [files[pk] for pk in ids if pk in files]))
        else:
            rows.append(AnswerRow(question, question.display_answer(value), []))
    conditions = list(challenge.program.eligibility_conditions.all())
    deadline = deadline_of(challenge.program, application)
    allowed = APPLICANT_TRANSITIONS.get(application.status, frozenset())
    context = {
        "application": application,
        "startup": application.startup,
        "challenge": challenge,
        "program": challenge.program,
        "deadline": deadline,
        "is_member": is_member,
        "rows": rows,
        "conditions": [(condition, application.eligibility.get(str(condition.pk))) for condition in conditions],
        "unmet": [c for c in conditions if application.eligibility.get(str(c.pk)) is False],
        "versions": application.versions.select_related("submitted_by").defer("content").order_by("-number"),
        "last_saved_by": application.last_saved_by,
        "can_edit": is_member and deadline.is_open and bool(applicant_actions(application)),
        "can_withdraw": is_member and deadline.is_open and ApplicationStatus.WITHDRAWN in allowed,
    }
    return render(request, "startups/application_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = permissions.access_application(request.user, pk, as_member=True)
    if not applicant_actions(application):
        messages.info(request, _("This application is being reviewed: it can no longer be changed."))
        return redirect("startups:application", pk=application.pk)
    deadline = None  # a form sent is judged by the services at the moment they run
    if request.method == "GET":
        deadline = deadline_of(application.challenge.program, application)
        if not deadline.is_open:
            messages.info(request, _("The call for applications is closed: the application can no longer be changed."))
            return redirect("startups:application", pk=application.pk)
    return application_form_page(
        request,
        startup=application.startup,
        challenge=application.challenge,
        application=application,
        deadline=deadline,
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = permissions.access_application(request.user, pk, as_member=True)
    deadline = deadline_of(application.challenge.program, application)
    status = 200
    if request.method == "POST":
        try:
            services.application_withdraw(application=application, actor=request.user)
        except services.ApplicationRefused as refused:
            messages.error(request, str(refused))
            status = 400
        else:
            messages.success(request, _("The application is withdrawn. You may take it up again before the deadline."))
            return redirect("startups:application", pk=application.pk)
    context = {
        "application": application,
        "startup": application.startup,
        "challenge": application.challenge,
        "program": application.challenge.program,
        "deadline": deadline,
        "can_withdraw": deadline.is_open
        and ApplicationStatus.WITHDRAWN in APPLICANT_TRANSITIONS.get(application.status, frozenset()),
    }
    return render(request, "startups/application_withdraw.html", context, status=status)


@login_required
def application_attachment(request: HttpRequest, pk: int, attachment: int) -> HttpResponseBase:
    stored = permissions.access_attachment(request.user, pk, attachment)
    return uploads.download_response(stored.file, filename=stored.name, content_type=stored.content_type)


# --- A startup's applications -----------------------------------------------------------------------------------


def _call_ends_at(program: Any) -> Subquery:
    """When the edition's call for applications ends (the first call, as services.call_phase reads it)."""
    calls = Phase.objects.filter(program=program, kind=PhaseKind.CALL_FOR_APPLICATIONS).order_by("starts_at")
    return Subquery(calls.values("ends_at")[:1])


@login_required
def startup_applications(request: HttpRequest, slug: str) -> HttpResponse:
    startup = permissions.access_startup(request.user, slug, as_member=True)
    now = timezone.now()
    applications = (
        Application.objects.filter(startup=startup)
        .select_related("challenge__program", "last_saved_by")
        .annotate(call_ends_at=_call_ends_at(OuterRef("challenge__program")))
        .order_by("-updated_at")
    )
    open_call = Phase.objects.filter(
        program=OuterRef("program"), kind=PhaseKind.CALL_FOR_APPLICATIONS, starts_at__lte=now, ends_at__gt=now
    )
    open_challenges = (
        Challenge.objects.published()
        .filter(Exists(open_call))
        .exclude(Exists(Application.objects.filter(startup=startup, challenge=OuterRef("pk"))))
        .select_related("program", "owner")
        .annotate(call_ends_at=Subquery(open_call.order_by("ends_at").values("ends_at")[:1]))
        .order_by("call_ends_at", "title")
    )
    context = {
        "startup": startup,
        "applications": applications,
        "open_challenges": open_challenges,
        "now": now,
        "soon": now + CLOSING_SOON,
    }
    return render(request, "startups/application_list.html", context)
