"""Staff's selection pages of an edition: the jury's results and ranking with the decision of each application, the
publication of every decision at one moment, and the minutes (printable, or CSV). Anyone but staff gets a 404."""

import csv
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from challenges import permissions as challenge_permissions
from challenges.models import Challenge, ChallengeJuror, Criterion, Program, Rubric
from datacity.audit.services import Refused, record
from partners.models import Partner

from . import scoring, selection
from .exports import neutralise
from .models import ConflictDeclaration, Decision, DecisionStage, Review, ReviewStatus, Score

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class DecisionForm(forms.Form):
    application = forms.IntegerField(widget=forms.HiddenInput)
    stage = forms.ChoiceField(label=gettext_lazy("Decision"), choices=DecisionStage.choices)
    sponsor: forms.ModelChoiceField = forms.ModelChoiceField(
        label=gettext_lazy("Sponsoring partner"), queryset=Partner.objects.all(), required=False
    )
    audition_at = forms.DateTimeField(
        label=gettext_lazy("Audition date and time"), widget=DATETIME_INPUT, required=False
    )
    audition_place = forms.CharField(label=gettext_lazy("Audition place"), max_length=300, required=False)
    reason = forms.CharField(label=gettext_lazy("Reason (for the minutes)"), required=False)
    feedback = forms.CharField(label=gettext_lazy("Feedback to the startup"), required=False)
    share_feedback = forms.BooleanField(label=gettext_lazy("Share the feedback"), required=False)


def _challenges(program: Program) -> list[Challenge]:
    return list(
        Challenge.objects.filter(program=program)
        .select_related("owner")
        .prefetch_related(Prefetch("co_sponsors", queryset=Partner.objects.order_by("name")))
        .order_by("title", "pk")
    )


def _applications(program: Program) -> list[Any]:
    return list(
        selection.submitted_applications(program)
        .select_related("startup", "challenge", "decision__sponsor", "decision__decided_by")
        .order_by("pk")
    )


def _decision_of(application: Any) -> Decision | None:
    try:
        return application.decision
    except Decision.DoesNotExist:
        return None


def results(request: HttpRequest, slug: str) -> HttpResponse:
    """Per challenge, the ranking of its submitted applications, with a form per row to decide on it."""
    program = challenge_permissions.access_program_as_staff(request.user, slug)
    outcome = scoring.edition_results(program)
    applications = _applications(program)
    challenges = []
    for challenge in _challenges(program):
        sponsors = [challenge.owner, *(p for p in challenge.co_sponsors.all() if p.pk != challenge.owner_id)]
        rows = []
        for row in scoring.ranked([a for a in applications if a.challenge_id == challenge.pk], outcome):
            rows.append({"row": row, "decision": _decision_of(row.application)})
        challenges.append({"challenge": challenge, "rows": rows, "sponsors": sponsors})
    jurors = _juror_names(outcome.jurors)
    context = {
        "program": program,
        "challenges": challenges,
        "results": outcome,
        "jurors": [
            {"name": jurors.get(stats.juror_id, stats.juror_id), "stats": stats}
            for stats in sorted(outcome.jurors.values(), key=lambda stats: str(jurors.get(stats.juror_id, "")))
        ],
        "spread_flag": scoring.SPREAD_FLAG,
        "stages": DecisionStage.choices,
        "undecided": sum(
            1
            for application in applications
            if (decision := _decision_of(application)) and decision.stage in selection.UNDECIDED
        ),
        "unpublished": sum(
            1 for application in applications if not ((d := _decision_of(application)) and d.published_at)
        ),
    }
    return render(request, "selection/results.html", context)


def _juror_names(jurors: dict[int, Any]) -> dict[int, str]:
    from django.contrib.auth import get_user_model

    users = get_user_model()._default_manager.filter(pk__in=list(jurors)).only("pk", "email", "full_name")
    return {user.pk: user.full_name or user.email for user in users}


@require_POST
def decide(request: HttpRequest, slug: str) -> HttpResponse:
    """One application's decision (or an audition invitation), or the publication of every decision."""
    program = challenge_permissions.access_program_as_staff(request.user, slug)
    back = redirect("selection:results", slug=program.slug)
    if request.POST.get("action") == "publish":
        if not request.POST.get("confirm"):
            messages.error(request, _("Tick the box to confirm the publication."))
            return back
        try:
            count = selection.decisions_publish(program=program, actor=request.user)
        except Refused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Decisions published: %(count)d.") % {"count": count})
        return back
    with timezone.override(program.time_zone):
        form = DecisionForm(request.POST)
        valid = form.is_valid()
    if not valid:
        messages.error(request, _("The decision could not be read: check the fields and send it again."))
        return back
    data = form.cleaned_data
    application = selection.submitted_applications(program).filter(pk=data["application"]).first()
    if application is None:
        record(action="access.refused", actor=request.user, obj=program, application=data["application"])
        messages.error(request, _("This application is not one of this edition's submitted applications."))
        return back
    values = {
        "application": application,
        "actor": request.user,
        "reason": data["reason"],
        "feedback": data["feedback"],
        "share_feedback": data["share_feedback"],
    }
    try:
        if data["stage"] == DecisionStage.AUDITION:
            selection.audition_invite(audition_at=data["audition_at"], audition_place=data["audition_place"], **values)
        else:
            selection.decision_set(stage=data["stage"], sponsor=data["sponsor"], **values)
    except Refused as refusal:
        messages.error(request, f"{application.startup.name}: {refusal}")
    else:
        messages.success(request, _("%(startup)s: decision saved.") % {"startup": application.startup.name})
    return redirect(f"{back.url}#application-{application.pk}")


# --- The minutes -----------------------------------------------------------------------------------------------------


def _minutes(program: Program) -> dict[str, Any]:
    """What the minutes hold, in a constant number of queries whatever the number of applications."""
    rubrics = list(
        Rubric.objects.filter(program=program)
        .select_related("challenge")
        .prefetch_related(Prefetch("criteria", queryset=Criterion.objects.order_by("order", "pk")))
        .order_by("challenge__title", "version")
    )
    reviews = list(
        Review.objects.filter(
            application__challenge__program=program, status__in=[ReviewStatus.SUBMITTED, ReviewStatus.RECUSED]
        )
        .select_related("juror", "application__startup", "application__challenge", "recusal", "rubric")
        .prefetch_related(Prefetch("scores", queryset=Score.objects.select_related("criterion")))
        .order_by("application__challenge__title", "application__startup__name", "juror__email")
    )
    jurors_of_edition = Q(pk__in=ChallengeJuror.objects.filter(challenge__program=program).values("user_id")) | Q(
        pk__in=Review.objects.filter(application__challenge__program=program).values("juror_id")
    )
    from django.contrib.auth import get_user_model

    jurors = get_user_model()._default_manager.filter(jurors_of_edition).values("pk")
    conflicts = list(
        ConflictDeclaration.objects.filter(juror__in=jurors)
        .select_related("juror", "startup", "program")
        .order_by("juror__email", "created_at")
    )
    decisions = list(
        Decision.objects.filter(application__challenge__program=program)
        .select_related("application__startup", "application__challenge", "sponsor", "decided_by")
        .order_by("application__challenge__title", "application__startup__name")
    )
    return {
        "rubrics": rubrics,
        "reviews": [review for review in reviews if review.status == ReviewStatus.SUBMITTED],
        "recusals": [review for review in reviews if review.status == ReviewStatus.RECUSED],
        "conflicts": conflicts,
        "decisions": decisions,
    }


def _person(user: Any) -> str:
    return (user.full_name or user.email) if user is not None else ""


def _when(moment: Any) -> str:
    return moment.isoformat() if moment else ""


class _Echo:
    def write(self, value: str) -> str:
        return value


def _minutes_csv(program: Program, minutes: dict[str, Any]) -> Iterator[str]:
    """One CSV of sections, each row starting with what it records; every text cell is kept from being read as a
    formula by a spreadsheet."""
    writer = csv.writer(_Echo())

    def row(*cells: Any) -> str:
        return writer.writerow([neutralise(cell) if isinstance(cell, str) else cell for cell in cells])

    yield row("record", "edition", program.name, "slug", program.slug)
    yield row("record", "rubric", "challenge", "version", "criterion", "weight", "scale_min", "scale_max")
    for rubric in minutes["rubrics"]:
        scope = rubric.challenge.title if rubric.challenge else ""
        for criterion in rubric.criteria.all():
            yield row(
                "criterion",
                rubric.pk,
                scope,
                rubric.version,
                criterion.name,
                str(criterion.weight),
                criterion.scale_min,
                criterion.scale_max,
            )
    yield row("record", "challenge", "startup", "juror", "rubric_version", "criterion", "score", "comment")
    for review in minutes["reviews"]:
        application = review.application
        for score in review.scores.all():
            yield row(
                "score",
                application.challenge.title,
                application.startup.name,
                _person(review.juror),
                review.rubric.version,
                score.criterion.name,
                score.value,
                score.comment,
            )
        yield row(
            "review_comment",
            application.challenge.title,
            application.startup.name,
            _person(review.juror),
            review.rubric.version,
            "",
            "",
            review.comment,
        )
    yield row("record", "juror", "declared_at", "edition", "startup", "organisation", "person", "description")
    for conflict in minutes["conflicts"]:
        yield row(
            "conflict",
            _person(conflict.juror),
            _when(conflict.created_at),
            conflict.program.name if conflict.program else "",
            conflict.startup.name if conflict.startup else "",
            conflict.organisation,
            conflict.person,
            conflict.description,
        )
    yield row("record", "juror", "challenge", "startup", "recused_at", "declaration")
    for review in minutes["recusals"]:
        yield row(
            "recusal",
            _person(review.juror),
            review.application.challenge.title,
            review.application.startup.name,
            _when(review.recusal.created_at if review.recusal else review.updated_at),
            review.recusal.description if review.recusal else "",
        )
    yield row(
        "record",
        "challenge",
        "startup",
        "stage",
        "sponsor",
        "audition_at",
        "audition_place",
        "reason",
        "feedback",
        "feedback_shared",
        "decided_by",
        "decided_at",
        "published_at",
    )
    for decision in minutes["decisions"]:
        yield row(
            "decision",
            decision.application.challenge.title,
            decision.application.startup.name,
            decision.stage,
            decision.sponsor.name if decision.sponsor else "",
            _when(decision.audition_at),
            decision.audition_place,
            decision.reason,
            decision.feedback,
            "yes" if decision.share_feedback else "no",
            _person(decision.decided_by),
            _when(decision.decided_at),
            _when(decision.published_at),
        )


def minutes(request: HttpRequest, slug: str) -> HttpResponseBase:
    """The minutes of the selection: criteria, scores and comments, conflicts and recusals, decisions with who and
    when. Printable HTML, or `?format=csv`."""
    program = challenge_permissions.access_program_as_staff(request.user, slug)
    content = _minutes(program)
    if request.GET.get("format") == "csv":
        record(action="selection.minutes_exported", actor=request.user, obj=program)
        response = StreamingHttpResponse(_minutes_csv(program, content), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"minutes-{program.slug}.csv") or ""
        response["Cache-Control"] = "private, no-store"
        return response
    return render(request, "selection/minutes.html", {"program": program, **content})
