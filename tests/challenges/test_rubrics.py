"""Rubrics: the five default criteria, changes to an unfrozen rubric, and new versions that reopen scored reviews."""

from decimal import Decimal

import pytest
from django.utils import timezone

from challenges import rubrics
from challenges.models import Criterion, Rubric
from challenges.rubrics import RubricRefused
from datacity.audit.models import AuditEntry
from datacity.notifications.models import Notification
from startups import notices
from startups.models import Review, ReviewStatus, Score
from tests.factories import (
    ChallengeFactory,
    ProgramFactory,
    SubmittedApplicationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory.create(is_staff=True, totp=False)


def criteria(*weights) -> list[dict]:
    return [
        {"name_fr": f"Critère {n}", "name_en": f"Criterion {n}", "weight": weight, "scale_min": 0, "scale_max": 5}
        for n, weight in enumerate(weights)
    ]


def test_the_default_criteria_are_complete_in_three_languages():
    assert len(rubrics.DEFAULT_CRITERIA) == 5
    for criterion in rubrics.DEFAULT_CRITERIA:
        for field in rubrics.CRITERION_FIELDS:
            assert criterion[field].strip(), field
        assert (criterion["weight"], criterion["scale_min"], criterion["scale_max"]) == (Decimal(1), 0, 5)


def test_an_edition_gets_its_default_rubric_once(staff):
    program = ProgramFactory.create()
    rubric = rubrics.rubric_ensure(program=program, actor=staff)
    assert (rubric.version, rubric.challenge, rubric.is_frozen) == (1, None, False)
    assert list(rubric.criteria.values_list("name_en", flat=True)) == [
        "Team quality",
        "Ability to run the experiment",
        "Potential to scale",
        "Fit between problem and solution",
        "Use of data",
    ]
    assert rubrics.rubric_ensure(program=program, actor=staff) == rubric
    assert Rubric.objects.count() == 1
    assert AuditEntry.objects.filter(action="rubric.created").count() == 1
    challenge = ChallengeFactory.create(program=program)
    assert rubrics.rubric_for(challenge) == rubric


def test_an_unfrozen_rubric_changes_with_its_before_and_after_audited(staff):
    rubric = rubrics.rubric_ensure(program=ProgramFactory.create(), actor=staff)
    rubrics.rubric_update(rubric=rubric, actor=staff, criteria=criteria(2, "0.5"))
    assert list(rubric.criteria.values_list("name_en", "weight")) == [
        ("Criterion 0", Decimal(2)),
        ("Criterion 1", Decimal("0.5")),
    ]
    entry = AuditEntry.objects.get(action="rubric.updated")
    assert len(entry.details["before"]) == 5
    assert len(entry.details["after"]) == 2


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ([], "no_criteria"),
        (criteria(0), "weight"),
        (criteria(-1), "weight"),
        (criteria("heavy"), "weight"),
        ([{"name_fr": "Équipe", "weight": 1, "scale_min": 5, "scale_max": 5}], "scale"),
        ([{"name_fr": "", "weight": 1}], "name"),
        ([{"name_fr": "x" * 10_000, "weight": 1}], "invalid"),
    ],
)
def test_a_bad_change_is_refused_and_changes_nothing(staff, given, code):
    rubric = rubrics.rubric_ensure(program=ProgramFactory.create(), actor=staff)
    with pytest.raises(RubricRefused) as refusal:
        rubrics.rubric_update(rubric=rubric, actor=staff, criteria=given)
    assert refusal.value.details["reason_code"] == code
    assert rubric.criteria.count() == 5


def test_a_frozen_rubric_is_not_changed(staff):
    rubric = rubrics.rubric_ensure(program=ProgramFactory.create(), actor=staff)
    assert rubrics.rubric_freeze(rubric=rubric)
    assert not rubrics.rubric_freeze(rubric=rubric)
    with pytest.raises(RubricRefused) as refusal:
        rubrics.rubric_update(rubric=rubric, actor=staff, criteria=criteria(1))
    assert refusal.value.details["reason_code"] == "frozen"
    assert rubric.criteria.count() == 5
    assert AuditEntry.objects.filter(action="rubric.update_refused").exists()


def test_a_new_version_needs_a_note(staff):
    rubric = rubrics.rubric_ensure(program=ProgramFactory.create(), actor=staff)
    with pytest.raises(RubricRefused) as refusal:
        rubrics.rubric_new_version(rubric=rubric, actor=staff, note=" ", criteria=criteria(1))
    assert refusal.value.details["reason_code"] == "no_note"
    assert Rubric.objects.count() == 1


def test_a_new_version_reopens_the_scored_reviews_and_tells_their_jurors_once(staff):
    program = ProgramFactory.create()
    challenge = ChallengeFactory.create(program=program)
    old = rubrics.rubric_ensure(program=program, actor=staff)
    first, second = UserFactory.create(), UserFactory.create()
    now = timezone.now()

    def review(juror, status, scored: bool) -> Review:
        made = Review.objects.create(
            application=SubmittedApplicationFactory.create(challenge=challenge),
            juror=juror,
            rubric=old,
            status=status,
            cleared_at=now,
            submitted_at=now if status == ReviewStatus.SUBMITTED else None,
        )
        if scored:
            Score.objects.bulk_create(Score(review=made, criterion=c, value=3) for c in old.criteria.all())
        return made

    submitted = review(first, ReviewStatus.SUBMITTED, True)
    draft = review(first, ReviewStatus.DRAFT, True)
    not_scored = review(second, ReviewStatus.ASSIGNED, False)
    rubrics.rubric_freeze(rubric=old)

    new = rubrics.rubric_new_version(rubric=old, actor=staff, note="Data weighs more.", criteria=criteria(1, 3))

    assert (new.version, new.program, new.challenge, new.note, new.is_frozen) == (
        2,
        program,
        None,
        "Data weighs more.",
        False,
    )
    assert rubrics.rubric_for(challenge) == new
    for made in (submitted, draft):
        made.refresh_from_db()
        assert (made.rubric, made.status, made.submitted_at) == (new, ReviewStatus.DRAFT, None)
        assert not made.scores.exists()
    not_scored.refresh_from_db()
    assert (not_scored.rubric, not_scored.status) == (new, ReviewStatus.ASSIGNED)
    # The old scores are in the audit log; the old version and its criteria stay.
    entry = AuditEntry.objects.get(action="rubric.version_created")
    assert sorted(entry.details["reopened"]) == sorted([str(submitted.pk), str(draft.pk)])
    assert {score["value"] for score in entry.details["reopened"][str(submitted.pk)]} == {3}
    assert Criterion.objects.filter(rubric=old).count() == 5
    # Each juror with reviews to score again is told once.
    reopened = Notification.objects.filter(kind=notices.REVIEW_REOPENED.name)
    assert list(reopened.values_list("recipient_id", flat=True)) == [first.pk]


def test_a_challenges_own_version_reopens_only_its_scope(staff):
    program = ProgramFactory.create()
    edition = rubrics.rubric_ensure(program=program, actor=staff)
    challenge = ChallengeFactory.create(program=program)
    own = Rubric.objects.create(program=program, challenge=challenge, version=1)
    rubrics.rubric_update(rubric=own, actor=staff, criteria=criteria(1))
    juror = UserFactory.create()
    review = Review.objects.create(
        application=SubmittedApplicationFactory.create(challenge=ChallengeFactory.create(program=program)),
        juror=juror,
        rubric=edition,
        status=ReviewStatus.DRAFT,
    )
    Score.objects.create(review=review, criterion=edition.criteria.earliest("pk"), value=2)
    new = rubrics.rubric_new_version(rubric=own, actor=staff, note="Sharper.", criteria=criteria(2))
    assert (new.challenge, new.version) == (challenge, 2)
    review.refresh_from_db()
    assert review.rubric == edition
    assert review.scores.count() == 1
