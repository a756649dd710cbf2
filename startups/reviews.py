"""A juror's review of one application: which reviews a juror may open, the evaluation window (an open SELECTION
phase of the application's edition), and saving or submitting the scores per criterion of the review's rubric."""

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from challenges.models import Criterion, Phase, PhaseKind, Program
from challenges.rubrics import rubric_freeze
from datacity.audit.services import Refused, audited_transaction, record
from datacity.core.access import visible_or_404

from .assignment import jury_programs_of
from .conflicts import conflicted_startups, is_conflicted
from .models import Review, ReviewStatus, Score

# What a juror may write: long enough for a real argument, short enough that a page or an export stays readable.
COMMENT_MAX_LENGTH = 5000
OVERALL_COMMENT_MAX_LENGTH = 10000

CLEARED = (ReviewStatus.DRAFT, ReviewStatus.SUBMITTED)


class ReviewRefused(Refused):
    """A review change refused by the rules; `details["reason_code"]` says which (for tests and the audit log)."""


# --- Reads ---------------------------------------------------------------------------------------------------------


def _own_reviews(user: Any) -> QuerySet[Review]:
    """`user`'s reviews in the editions they judge, never of a startup they are linked to."""
    if not user.is_authenticated:
        return Review.objects.none()
    return Review.objects.filter(
        juror=user, application__challenge__program__in=jury_programs_of(user).values("pk")
    ).exclude(application__startup__in=conflicted_startups(user).values("pk"))


def reviews_of_juror(user: Any) -> QuerySet[Review]:
    """The reviews `user` may open: their own, in an edition whose jury they sit on, cleared (no conflict declared:
    draft or submitted), of an application whose startup they are not linked to. The one definition every read of
    a juror's reviews goes through."""
    return _own_reviews(user).filter(status__in=CLEARED)


def assigned_review(user: Any, pk: int) -> Review | None:
    """The review `pk` of `user` still waiting for their declaration (they must declare before seeing it)."""
    return _own_reviews(user).filter(pk=pk, status=ReviewStatus.ASSIGNED).first()


def access_review(user: Any, pk: int) -> Review:
    """The review `pk` if `user` may open it, with what the scoring page shows; 404 otherwise (audited)."""
    visible = reviews_of_juror(user).select_related(
        "application__startup", "application__challenge__program", "application__challenge__owner", "rubric"
    )
    visible = visible.prefetch_related(
        Prefetch("rubric__criteria", queryset=Criterion.objects.order_by("order", "pk")), "scores"
    )
    return visible_or_404(visible, pk=pk)


def evaluation_phase(program: Program, now: datetime | None = None) -> Phase | None:
    """The edition's evaluation window: the SELECTION phase open at `now`, else the next one, else the last one."""
    now = now or timezone.now()
    phases = list(program.phases.filter(kind=PhaseKind.SELECTION).order_by("starts_at"))
    return (
        next((phase for phase in phases if phase.is_open(now)), None)
        or next((phase for phase in phases if now < phase.starts_at), None)
        or (phases[-1] if phases else None)
    )


def _moment(moment: datetime, program: Program) -> str:
    return date_format(timezone.localtime(moment, program.time_zone), "DATETIME_FORMAT")


def require_evaluation_window(program: Program, now: datetime, action: str, obj: Any = None) -> Phase:
    """The edition's SELECTION phase open at `now`; refused (and audited under `action`) otherwise, as the call's
    deadline is: a page opened before the end does not let scores in after it."""
    phase = evaluation_phase(program, now)
    if phase is None:
        raise ReviewRefused(
            _("This edition has no evaluation period: scores cannot be saved."),
            action=action,
            obj=obj or program,
            reason_code="no_window",
        )
    if not phase.is_open(now):
        values = {"date": _moment(phase.starts_at if now < phase.starts_at else phase.ends_at, program)}
        values["zone"] = str(program.time_zone)
        if now < phase.starts_at:
            message = _("The evaluation opens on %(date)s (%(zone)s time): nothing was saved.") % values
        else:
            message = _("The evaluation closed on %(date)s (%(zone)s time): nothing was saved.") % values
        raise ReviewRefused(message, action=action, obj=obj or program, reason_code="window_closed")
    return phase


# --- Writes --------------------------------------------------------------------------------------------------------


def _check_values(
    review: Review,
    criteria: dict[int, Criterion],
    scores: dict[int, int | None],
    comments: dict[int, str],
    comment: str,
    final: dict[int, int | None],
    action: str,
) -> None:
    for criterion_id in [*scores, *comments]:
        if criterion_id not in criteria:
            raise ReviewRefused(
                _("Criterion %(id)s is not one of this review's rubric: reload the page.") % {"id": criterion_id},
                action=action,
                obj=review,
                reason_code="unknown_criterion",
                criterion=criterion_id,
            )
    for criterion_id, value in scores.items():
        criterion = criteria[criterion_id]
        if value is not None and not criterion.scale_min <= value <= criterion.scale_max:
            raise ReviewRefused(
                _("“%(criterion)s” is scored from %(min)d to %(max)d: %(value)s is not on the scale.")
                % {"criterion": criterion.name, "min": criterion.scale_min, "max": criterion.scale_max, "value": value},
                action=action,
                obj=review,
                reason_code="out_of_scale",
                criterion=criterion_id,
            )
    for criterion_id, text in comments.items():
        if len(text) > COMMENT_MAX_LENGTH:
            raise ReviewRefused(
                _("The comment on “%(criterion)s” is too long (%(max)d characters at most).")
                % {"criterion": criteria[criterion_id].name, "max": COMMENT_MAX_LENGTH},
                action=action,
                obj=review,
                reason_code="too_long",
                criterion=criterion_id,
            )
        if text.strip() and final.get(criterion_id) is None:
            raise ReviewRefused(
                _("Give “%(criterion)s” a score to keep your comment on it.")
                % {"criterion": criteria[criterion_id].name},
                action=action,
                obj=review,
                reason_code="comment_without_score",
                criterion=criterion_id,
            )
    if len(comment) > OVERALL_COMMENT_MAX_LENGTH:
        raise ReviewRefused(
            _("The overall comment is too long (%(max)d characters at most).") % {"max": OVERALL_COMMENT_MAX_LENGTH},
            action=action,
            obj=review,
            reason_code="too_long",
        )


@audited_transaction
def review_save(
    *,
    review: Review,
    juror: Any,
    scores: dict[int, int | None],
    comments: dict[int, str],
    comment: str,
    submit: bool,
    now: datetime | None = None,
) -> Review:
    """Save a juror's scores (criterion id: value, None for "not scored yet") and comments on their cleared review,
    while the evaluation window is open. `submit` needs every criterion scored. A submitted review may be changed
    until the window closes: it stays submitted (every change is a submission, complete, with a new date)."""
    now = now or timezone.now()
    action = "review.refused"
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("application__challenge__program", "rubric")
        .get(pk=review.pk)
    )
    program = review.application.challenge.program
    if review.juror_id != juror.pk or not jury_programs_of(juror).filter(pk=program.pk).exists():
        raise ReviewRefused(
            _("Only the juror this review is assigned to may score it."),
            action=action,
            obj=review,
            reason_code="not_juror",
        )
    if is_conflicted(juror, review.application.startup_id):
        raise ReviewRefused(
            _("You declared a link with this startup: you may not score its application."),
            action=action,
            obj=review,
            reason_code="conflicted",
        )
    if review.status == ReviewStatus.RECUSED:
        raise ReviewRefused(
            _("You recused yourself from this application: it cannot be scored."),
            action=action,
            obj=review,
            reason_code="recused",
        )
    if review.status not in CLEARED:
        raise ReviewRefused(
            _("Declare whether you have a conflict of interest before scoring this application."),
            action=action,
            obj=review,
            reason_code="not_cleared",
        )
    require_evaluation_window(program, now, action, obj=review)
    criteria = {criterion.pk: criterion for criterion in Criterion.objects.filter(rubric=review.rubric_id)}
    comments = {key: (text or "").strip() for key, text in comments.items()}
    comment = (comment or "").strip()
    existing = {score.criterion_id: score for score in review.scores.all()}
    final: dict[int, int | None] = {pk: score.value for pk, score in existing.items()}
    final.update(scores)
    _check_values(review, criteria, scores, comments, comment, final, action)
    submit = submit or review.status == ReviewStatus.SUBMITTED
    if submit:
        missing = [criterion for pk, criterion in sorted(criteria.items()) if final.get(pk) is None]
        if missing:
            missing.sort(key=lambda c: (c.order, c.pk))
            raise ReviewRefused(
                _("Score every criterion to submit. Not scored yet: %(criteria)s.")
                % {"criteria": ", ".join(f"“{criterion.name}”" for criterion in missing)},
                action=action,
                obj=review,
                reason_code="incomplete",
                missing=[criterion.pk for criterion in missing],
            )

    for criterion_id in sorted({*scores, *comments}):
        value, score = final.get(criterion_id), existing.get(criterion_id)
        if value is None:
            if score is not None:
                score.delete()
            continue
        text = comments.get(criterion_id, score.comment if score is not None else "")
        Score.objects.update_or_create(
            review=review, criterion_id=criterion_id, defaults={"value": value, "comment": text}
        )
    if any(value is not None for value in final.values()) and not review.rubric.is_frozen:
        rubric_freeze(rubric=review.rubric, now=now)

    review.comment = comment
    fields = ["comment", "updated_at"]
    if submit:
        review.status, review.submitted_at = ReviewStatus.SUBMITTED, now
        fields += ["status", "submitted_at"]
    review.save(update_fields=fields)
    record(
        action="review.submitted" if submit else "review.saved",
        actor=juror,
        obj=review,
        application=review.application_id,
        scores={str(pk): value for pk, value in sorted(final.items()) if value is not None},
    )
    return review
