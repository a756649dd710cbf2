"""The weighted criteria applications are scored by: which rubric applies to a challenge, its freezing when the
first score is saved, and the audited changes staff make to it (a change to a frozen one is a new version, and the
reviews already scored are scored again)."""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from datacity.audit.services import Refused, audited_transaction, record
from datacity.notifications.services import notify

from .models import Challenge, Criterion, Program, Rubric


def rubric_for(challenge: Challenge) -> Rubric | None:
    """The rubric in force for `challenge`: its own latest version, else its edition's (see RubricQuerySet)."""
    return Rubric.objects.current_for(challenge)


def rubric_freeze(*, rubric: Rubric, now: datetime | None = None) -> bool:
    """Freeze `rubric` if it is not yet (called in the transaction that saves the first score). One UPDATE guarded
    by `frozen_at IS NULL`, so concurrent first scores freeze it once. Returns whether this call froze it."""
    frozen = Rubric.objects.filter(pk=rubric.pk, frozen_at__isnull=True).update(frozen_at=now or timezone.now())
    if frozen:
        rubric.refresh_from_db(fields=["frozen_at"])
    return bool(frozen)


class RubricRefused(Refused):
    """A rubric change refused by the rules; `details["reason_code"]` says which."""


# The five criteria of DataCity's selection, each weighted 1 and scored from 0 to 5: an edition's first rubric.
CRITERION_FIELDS = ("name_fr", "name_ar", "name_en", "description_fr", "description_ar", "description_en")
DEFAULT_CRITERIA: list[dict[str, Any]] = [
    {
        "name_fr": "Qualité de l'équipe",
        "name_ar": "جودة الفريق",
        "name_en": "Team quality",
        "description_fr": "Les compétences, l'expérience et l'engagement de l'équipe pour mener le projet.",
        "description_ar": "كفاءات الفريق وخبرته والتزامه بإنجاز المشروع.",
        "description_en": "The team's skills, experience and commitment to carry the project through.",
    },
    {
        "name_fr": "Capacité à mener l'expérimentation",
        "name_ar": "القدرة على إنجاز التجربة",
        "name_en": "Ability to run the experiment",
        "description_fr": "La startup peut-elle prototyper et tester sa solution sur le terrain dans les délais ?",
        "description_ar": "هل تستطيع المقاولة الناشئة نمذجة حلها واختباره ميدانيا في الآجال المحددة؟",
        "description_en": "Whether the startup can prototype and test its solution in the field within the program.",
    },
    {
        "name_fr": "Potentiel de passage à l'échelle",
        "name_ar": "إمكانية التوسع",
        "name_en": "Potential to scale",
        "description_fr": "La solution peut-elle servir toute la ville, ou d'autres villes, après l'expérimentation ?",
        "description_ar": "هل يمكن تعميم الحل على المدينة كلها أو على مدن أخرى بعد التجربة؟",
        "description_en": "Whether the solution can serve the whole city, or other cities, after the experiment.",
    },
    {
        "name_fr": "Adéquation entre le problème et la solution",
        "name_ar": "ملاءمة الحل للمشكلة",
        "name_en": "Fit between problem and solution",
        "description_fr": "La solution proposée répond-elle vraiment au problème posé par le défi ?",
        "description_ar": "هل يستجيب الحل المقترح فعلا للمشكلة التي يطرحها التحدي؟",
        "description_en": "Whether the proposed solution truly answers the problem the challenge poses.",
    },
    {
        "name_fr": "Utilisation des données",
        "name_ar": "استعمال المعطيات",
        "name_en": "Use of data",
        "description_fr": "La place des données des partenaires et de la ville dans la solution, et leur bon usage.",
        "description_ar": "مكانة معطيات الشركاء والمدينة في الحل وحسن استعمالها.",
        "description_en": "How the solution relies on the partners' and the city's data, and uses it well.",
    },
]
DEFAULT_CRITERIA = [
    {**criterion, "weight": Decimal(1), "scale_min": 0, "scale_max": 5} for criterion in DEFAULT_CRITERIA
]


def _describe(rubric: Rubric) -> list[dict[str, Any]]:
    """The criteria of `rubric` as the audit log keeps them."""
    return [
        {
            **{field: getattr(criterion, field) for field in CRITERION_FIELDS},
            "weight": str(criterion.weight),
            "scale_min": criterion.scale_min,
            "scale_max": criterion.scale_max,
        }
        for criterion in rubric.criteria.order_by("order", "pk")
    ]


def _checked(criteria: list[dict[str, Any]], *, rubric: Rubric | None, action: str) -> list[Criterion]:
    """Unsaved criteria built from `criteria` (dicts of Criterion fields), or a refusal saying what is wrong."""

    def refuse(message: str, reason_code: str) -> RubricRefused:
        return RubricRefused(message, action=action, obj=rubric, reason_code=reason_code)

    if not criteria:
        raise refuse(_("A rubric needs at least one criterion."), "no_criteria")
    built = []
    for order, data in enumerate(criteria):
        try:
            weight = Decimal(str(data.get("weight", 1)))
        except InvalidOperation as error:
            raise refuse(_("A criterion's weight must be a number above zero."), "weight") from error
        if not weight > 0:
            raise refuse(_("A criterion's weight must be a number above zero."), "weight")
        scale_min, scale_max = int(data.get("scale_min", 0)), int(data.get("scale_max", 5))
        if scale_max <= scale_min:
            raise refuse(_("The highest score must be above the lowest."), "scale")
        values = {field: (data.get(field) or "").strip() for field in CRITERION_FIELDS if field in data}
        if "name" in data and not values.get("name_fr"):
            values["name_fr"] = (data["name"] or "").strip()
        if "description" in data and not values.get("description_fr"):
            values["description_fr"] = (data["description"] or "").strip()
        criterion = Criterion(order=order, weight=weight, scale_min=scale_min, scale_max=scale_max, **values)
        criterion.name = values.get("name_fr") or values.get("name_en") or values.get("name_ar") or ""
        if not criterion.name:
            raise refuse(_("Every criterion needs a name."), "name")
        try:
            criterion.full_clean(exclude=["rubric"])
        except ValidationError as error:
            raise refuse(" ".join(error.messages), "invalid") from error
        built.append(criterion)
    return built


def _write_criteria(rubric: Rubric, criteria: list[Criterion]) -> None:
    for criterion in criteria:
        criterion.rubric = rubric
    Criterion.objects.bulk_create(criteria)


@audited_transaction
def rubric_ensure(*, program: Program, actor: Any) -> Rubric:
    """The edition's rubric: its latest version, or a first one with the five default criteria if it has none."""
    Program.objects.select_for_update().filter(pk=program.pk).first()
    rubric = Rubric.objects.filter(program=program, challenge__isnull=True).order_by("-version").first()
    if rubric is not None:
        return rubric
    rubric = Rubric.objects.create(program=program, version=1, created_by=actor if _is_user(actor) else None)
    _write_criteria(rubric, _checked(DEFAULT_CRITERIA, rubric=None, action="rubric.creation_refused"))
    record(action="rubric.created", actor=actor, obj=rubric, criteria=_describe(rubric))
    return rubric


def _is_user(actor: Any) -> bool:
    return actor is not None and getattr(actor, "pk", None) is not None


@audited_transaction
def rubric_update(*, rubric: Rubric, actor: Any, criteria: list[dict[str, Any]]) -> Rubric:
    """Replace the criteria of a rubric no score was saved under yet; a frozen one changes by a new version."""
    action = "rubric.update_refused"
    rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)
    if rubric.is_frozen:
        raise RubricRefused(
            _("Scores were already saved under this rubric: make a new version to change it."),
            action=action,
            obj=rubric,
            reason_code="frozen",
        )
    built = _checked(criteria, rubric=rubric, action=action)
    before = _describe(rubric)
    # A criterion nobody scored yet can go (the rubric is not frozen, so no score points at it).
    rubric.criteria.all().delete()
    _write_criteria(rubric, built)
    rubric.save(update_fields=["updated_at"])
    record(action="rubric.updated", actor=actor, obj=rubric, before=before, after=_describe(rubric))
    return rubric


@audited_transaction
def rubric_new_version(*, rubric: Rubric, actor: Any, note: str, criteria: list[dict[str, Any]]) -> Rubric:
    """A new version of the rubric's scope (its edition, or its challenge) with these criteria, for a reason. Every
    review scored under an older version of that scope is scored again: its scores are kept in the audit log, then
    deleted, and its juror is told (once)."""
    from startups.models import Review, ReviewStatus, Score
    from startups.notices import REVIEW_REOPENED

    action = "rubric.version_refused"
    note = (note or "").strip()
    if not note:
        raise RubricRefused(
            _("Say why the criteria change: the note is required."), action=action, obj=rubric, reason_code="no_note"
        )
    Program.objects.select_for_update().filter(pk=rubric.program_id).first()
    scope = Rubric.objects.filter(program_id=rubric.program_id, challenge=rubric.challenge)
    latest = scope.order_by("-version").first() or rubric
    built = _checked(criteria, rubric=rubric, action=action)
    new = Rubric.objects.create(
        program_id=rubric.program_id,
        challenge_id=rubric.challenge_id,
        version=latest.version + 1,
        note=note,
        created_by=actor if _is_user(actor) else None,
    )
    _write_criteria(new, built)
    older = scope.exclude(pk=new.pk)
    reopened = list(
        Review.objects.select_for_update(of=("self",))
        .filter(rubric__in=older, pk__in=Score.objects.values("review_id"))
        .exclude(status=ReviewStatus.RECUSED)
        .select_related("juror")
        .prefetch_related("scores")
        .order_by("pk")
    )
    scores = {
        str(review.pk): [
            {"criterion": score.criterion_id, "value": score.value, "comment": score.comment}
            for score in review.scores.all()
        ]
        for review in reopened
    }
    record(
        action="rubric.version_created",
        actor=actor,
        obj=new,
        previous=latest.pk,
        note=note,
        before=_describe(latest),
        after=_describe(new),
        reopened=scores,
    )
    # The reviews not scored yet simply move to the new version: nothing to score again.
    # (A recused review stays as it was: it counts for nothing.)
    Review.objects.filter(rubric__in=older).exclude(status=ReviewStatus.RECUSED).exclude(
        pk__in=[review.pk for review in reopened]
    ).update(rubric=new, updated_at=timezone.now())
    Score.objects.filter(review__in=[review.pk for review in reopened]).delete()
    jurors: dict[int, Any] = {}
    counts: dict[int, int] = {}
    for review in reopened:
        fields = ["rubric", "submitted_at", "updated_at"]
        review.rubric, review.submitted_at = new, None
        if review.status in (ReviewStatus.DRAFT, ReviewStatus.SUBMITTED):
            review.status = ReviewStatus.DRAFT
            fields.append("status")
        review.save(update_fields=fields)
        jurors.setdefault(review.juror_id, review)
        counts[review.juror_id] = counts.get(review.juror_id, 0) + 1
    for review in jurors.values():
        notify(
            kind=REVIEW_REOPENED,
            recipients=[review.juror],
            obj=review,
            key=f"reopened-{new.pk}",
            url=_review_url(review),
            context={"version": new.version, "note": note, "count": counts[review.juror_id]},
        )
    return new


def _review_url(review: Any) -> str:
    from django.urls import reverse

    return reverse("jury:review", kwargs={"pk": review.pk})
