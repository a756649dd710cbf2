"""The jury's results of an edition: each review's weighted score, each application's means, and a ranking that
does not depend on how harsh or lenient its jurors happen to be.

The method, from SUBMITTED reviews only (a draft, an assignment or a recusal never counts):

1. Each score is first rescaled to 0..1 by its criterion's scale, (value - lowest) / (highest - lowest), so that
   criteria scored on different scales are comparable.
2. A review's weighted score W is sum(weight x rescaled value) / sum(weight), reported on 0-100.
3. Per application: the number of reviews; the raw mean (every rescaled criterion value of its reviews, unweighted,
   0-100); the weighted total (mean of its reviews' W); the spread (highest W - lowest W), flagged from
   `SPREAD_FLAG` points on.
4. Normalisation: each juror's W are turned into z-scores against that juror's own W over all their submitted
   reviews in the edition, z = (W - juror's mean) / juror's population standard deviation. A juror with fewer than
   two reviews, or who gave the same W to all, contributes z = 0. An application's normalised score is the mean z of
   its reviews, so that a harsh and a lenient juror weigh the same; it is also shown back on 0-100 as
   overall mean of W + z x overall standard deviation of W (clipped to 0-100).
5. The ranking per challenge: normalised z (highest first), then weighted total, then the application's number;
   applications without a submitted review come last, unranked.

Computed in floats from one query of the scores; rounded only for display.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from challenges.models import Challenge, Program

from .models import ReviewStatus, Score

# The spread (in points on 0-100) from which an application's reviews disagree enough to be looked at again.
SPREAD_FLAG = 25.0


@dataclass(frozen=True)
class ScoreRow:
    """One criterion score of a submitted review, as read from the database."""

    review_id: int
    juror_id: int
    application_id: int
    weight: float
    scale_min: int
    scale_max: int
    value: int

    @property
    def rescaled(self) -> float:
        return (self.value - self.scale_min) / (self.scale_max - self.scale_min)


@dataclass(frozen=True)
class ReviewScore:
    review_id: int
    juror_id: int
    application_id: int
    weighted: float  # W, 0-100
    z: float = 0.0


@dataclass(frozen=True)
class JurorStats:
    juror_id: int
    reviews: int
    mean: float
    std: float

    @property
    def normalises(self) -> bool:
        """False for a juror whose reviews all contribute z = 0 (fewer than two, or all the same)."""
        return self.reviews >= 2 and self.std > 0


@dataclass(frozen=True)
class ApplicationScore:
    application_id: int
    reviews: int
    raw_mean: float  # 0-100
    weighted: float  # 0-100
    z: float
    normalised: float  # z shown back on 0-100
    spread: float  # points, 0-100

    @property
    def flagged(self) -> bool:
        return self.spread >= SPREAD_FLAG


@dataclass
class EditionResults:
    applications: dict[int, ApplicationScore] = field(default_factory=dict)
    jurors: dict[int, JurorStats] = field(default_factory=dict)
    reviews: list[ReviewScore] = field(default_factory=list)
    overall_mean: float = 0.0
    overall_std: float = 0.0


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _pstdev(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    mean = _mean(values)
    return math.sqrt(sum((value - mean) ** 2 for value in values) / len(values))


def compute(rows: Iterable[ScoreRow]) -> EditionResults:
    """The results from the score rows of the edition's submitted reviews (pure: no database)."""
    by_review: dict[int, list[ScoreRow]] = defaultdict(list)
    for row in rows:
        by_review[row.review_id].append(row)

    weighted_reviews: list[ReviewScore] = []
    rescaled_by_application: dict[int, list[float]] = defaultdict(list)
    for review_id, scores in by_review.items():
        total_weight = sum(row.weight for row in scores)
        weighted = 100 * sum(row.weight * row.rescaled for row in scores) / total_weight
        first = scores[0]
        weighted_reviews.append(ReviewScore(review_id, first.juror_id, first.application_id, weighted))
        rescaled_by_application[first.application_id].extend(100 * row.rescaled for row in scores)

    by_juror: dict[int, list[float]] = defaultdict(list)
    for review in weighted_reviews:
        by_juror[review.juror_id].append(review.weighted)
    jurors = {
        juror_id: JurorStats(juror_id, len(values), _mean(values), _pstdev(values))
        for juror_id, values in by_juror.items()
    }

    reviews = []
    by_application: dict[int, list[ReviewScore]] = defaultdict(list)
    for review in weighted_reviews:
        stats = jurors[review.juror_id]
        z = (review.weighted - stats.mean) / stats.std if stats.normalises else 0.0
        scored = ReviewScore(review.review_id, review.juror_id, review.application_id, review.weighted, z)
        reviews.append(scored)
        by_application[review.application_id].append(scored)

    all_weighted = [review.weighted for review in reviews]
    overall_mean, overall_std = _mean(all_weighted), _pstdev(all_weighted)
    applications = {}
    for application_id, its_reviews in by_application.items():
        values = [review.weighted for review in its_reviews]
        z = _mean([review.z for review in its_reviews])
        applications[application_id] = ApplicationScore(
            application_id=application_id,
            reviews=len(its_reviews),
            raw_mean=_mean(rescaled_by_application[application_id]),
            weighted=_mean(values),
            z=z,
            normalised=min(100.0, max(0.0, overall_mean + z * overall_std)),
            spread=max(values) - min(values),
        )
    return EditionResults(
        applications=applications,
        jurors=jurors,
        reviews=reviews,
        overall_mean=overall_mean,
        overall_std=overall_std,
    )


def edition_results(program: Program, challenge: Challenge | None = None) -> EditionResults:
    """The results of the edition's applications (of `challenge` only, when given), in one query of the submitted
    reviews' scores. The jurors' means and deviations are always over the whole edition."""
    rows = list(
        Score.objects.filter(
            review__status=ReviewStatus.SUBMITTED, review__application__challenge__program=program
        ).values_list(
            "review_id",
            "review__juror_id",
            "review__application_id",
            "review__application__challenge_id",
            "criterion__weight",
            "criterion__scale_min",
            "criterion__scale_max",
            "value",
        )
    )
    results = compute(
        ScoreRow(review_id, juror_id, application_id, float(weight), scale_min, scale_max, value)
        for review_id, juror_id, application_id, _challenge, weight, scale_min, scale_max, value in rows
    )
    if challenge is not None:
        kept = {row[2] for row in rows if row[3] == challenge.pk}
        results.applications = {pk: score for pk, score in results.applications.items() if pk in kept}
    return results


@dataclass(frozen=True)
class RankedRow:
    rank: int | None  # None: no submitted review yet
    application: Any
    score: ApplicationScore | None


def ranked(applications: Iterable[Any], results: EditionResults) -> list[RankedRow]:
    """`applications` (of one challenge) in ranking order: normalised, then weighted total, then number; those
    without a submitted review after them, unranked."""
    scored: list[tuple[Any, ApplicationScore]] = []
    unscored: list[tuple[Any, None]] = []
    for application in applications:
        score = results.applications.get(application.pk)
        if score is None:
            unscored.append((application, None))
        else:
            scored.append((application, score))
    scored.sort(key=lambda pair: (-pair[1].z, -pair[1].weighted, pair[0].pk))
    unscored.sort(key=lambda pair: pair[0].pk)
    rows = [RankedRow(rank, application, score) for rank, (application, score) in enumerate(scored, start=1)]
    return rows + [RankedRow(None, application, None) for application, _score in unscored]
