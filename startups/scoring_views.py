"""The scoring page: the application read-only beside the rubric, a draft saved then submitted while the edition's
evaluation window is open. Blind review hides which startup the application comes from."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from challenges.models import Phase, PhaseStatus

from . import reviews, services
from .application_views import AnswerRow
from .models import Attachment, QuestionKind, Review, ReviewStatus
from .scoring_forms import SUBMIT, ReviewForm


@dataclass(frozen=True)
class Window:
    """The edition's evaluation window as the page shows it."""

    phase: Phase | None
    zone: str
    now: datetime

    @property
    def status(self) -> str | None:
        return self.phase.status(self.now) if self.phase is not None else None

    @property
    def is_open(self) -> bool:
        return self.status == PhaseStatus.OPEN


def _answer_rows(review: Review) -> list[AnswerRow]:
    """The application's answers to the questions, its files (those its answers name) beside the file questions."""
    application = review.application
    answers = dict(application.answers.values_list("question_id", "value"))
    files = {attachment.pk: attachment for attachment in Attachment.objects.filter(application=application)}
    rows = []
    for question in services.questions_for(application.challenge):
        value = answers.get(question.pk)
        if question.kind == QuestionKind.FILE:
            ids = value if isinstance(value, list) else []
            rows.append(AnswerRow(question, "", [files[pk] for pk in ids if pk in files]))
        else:
            rows.append(AnswerRow(question, question.display_answer(value), []))
    return rows


def _initial(review: Review) -> dict[str, Any]:
    initial: dict[str, Any] = {"comment": review.comment}
    for score in review.scores.all():
        initial[f"score_{score.criterion_id}"] = score.value
        initial[f"comment_{score.criterion_id}"] = score.comment
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, pk: int) -> HttpResponse:
    if reviews.assigned_review(request.user, pk) is not None:
        messages.info(request, _("Declare whether you have a conflict of interest before you see the application."))
        return redirect("jury:declare", pk=pk)
    own = reviews.access_review(request.user, pk)
    program = own.application.challenge.program
    now = timezone.now()
    window = Window(phase=reviews.evaluation_phase(program, now), zone=str(program.time_zone), now=now)
    criteria = list(own.rubric.criteria.all())
    status = 200
    if request.method == "POST":
        form = ReviewForm(request.POST, criteria=criteria)
        if not form.is_valid():
            status = 400
        else:
            submit = form.cleaned_data["action"] == SUBMIT
            try:
                reviews.review_save(
                    review=own,
                    juror=request.user,
                    scores=form.scores(),
                    comments=form.comments(),
                    comment=form.cleaned_data["comment"],
                    submit=submit,
                    now=now,
                )
            except reviews.ReviewRefused as refused:
                if refused.details.get("reason_code") == "conflicted":
                    raise Http404 from refused
                form.add_refusal(str(refused), refused.details.get("criterion"))
                status = 400
            else:
                if submit or own.status == ReviewStatus.SUBMITTED:
                    messages.success(
                        request, _("Your review is submitted. You may change it until the evaluation closes.")
                    )
                else:
                    messages.success(request, _("Draft saved. It is not submitted yet."))
                return redirect("jury:review", pk=own.pk)
    else:
        form = ReviewForm(initial=_initial(own), criteria=criteria)
    context = {
        "review": own,
        "application": own.application,
        "challenge": own.application.challenge,
        "program": program,
        "blind": program.blind_review,
        "window": window,
        "form": form,
        "rows": form.rows(),
        "answers": _answer_rows(own),
    }
    return render(request, "jury/review.html", context, status=status)
