"""Who reviews what: the jurors of each challenge, the balanced assignment of reviews to applications, and the
register of conflicts of interest with the recusals it causes (a recused juror is replaced at once). The audited,
notified writes; the rule of conflicts itself is `conflicts.conflicted_startups`."""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges.models import Challenge, ChallengeJuror, JuryMembership, Program, Rubric
from challenges.rubrics import rubric_ensure, rubric_for
from datacity.audit.services import Refused, audited_transaction, record
from datacity.notifications.services import notify
from partners.models import PartnerMembership

from .conflicts import conflicted_startups, is_conflicted
from .models import Application, ApplicationStatus, ConflictDeclaration, Review, ReviewStatus, Startup
from .notices import REVIEW_ASSIGNED

# The applications the jury reviews: sent by the startup and not set aside (drafts, withdrawn and ineligible are not).
REVIEWED_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW, ApplicationStatus.ELIGIBLE)

# Long enough to explain a link, short enough to read in the register.
DESCRIPTION_MAX_LENGTH = 2000


class AssignmentRefused(Refused):
    """A jury or conflict change refused by the rules; `details["reason_code"]` says which."""


@dataclass(frozen=True)
class Shortfall:
    """An application that cannot get its N reviews: too few jurors of its challenge are free of a conflict."""

    application: Application
    missing: int


# --- Reads ---------------------------------------------------------------------------------------------------------


def jury_programs_of(user: Any) -> QuerySet[Program]:
    """The editions `user` is a jury member of."""
    if not user.is_authenticated:
        return Program.objects.none()
    return Program.objects.filter(pk__in=JuryMembership.objects.filter(user=user).values("program_id"))


def assignments_of(user: Any) -> QuerySet[Review]:
    """The reviews listed on a juror's page: their own, in the editions they judge, not recused, never of a startup
    they are linked to; with what the list shows."""
    if not user.is_authenticated:
        return Review.objects.none()
    return (
        Review.objects.filter(juror=user, application__challenge__program__in=jury_programs_of(user).values("pk"))
        .exclude(status=ReviewStatus.RECUSED)
        .exclude(application__startup__in=conflicted_startups(user).values("pk"))
        .select_related("application__startup", "application__challenge__program")
        .order_by("-application__challenge__program__starts_on", "application__challenge__title", "pk")
    )


def declarations_of(user: Any) -> QuerySet[ConflictDeclaration]:
    """A juror's register, kept across editions, newest first."""
    return ConflictDeclaration.objects.filter(juror=user).select_related("startup", "program").order_by("-created_at")


def startups_judged_by(user: Any) -> QuerySet[Startup]:
    """The startups that applied (beyond a draft) in the editions `user` judges: those they may declare a link with."""
    applied = Application.objects.filter(
        challenge__program__in=jury_programs_of(user).values("pk"), status__in=REVIEWED_STATUSES
    ).values("startup_id")
    return Startup.objects.filter(pk__in=applied).order_by("name")


def shortfalls(
    *, program: Program, challenge: Challenge | None = None, per_application: int | None = None
) -> list[Shortfall]:
    """The applications of the edition (or challenge) with fewer than N counting reviews."""
    wanted = per_application or program.reviews_per_application
    applications = _reviewed_applications(program, challenge).annotate(
        counting=Count("reviews", filter=~Q(reviews__status=ReviewStatus.RECUSED))
    )
    return [
        Shortfall(application=application, missing=wanted - application.counting)
        for application in applications
        if application.counting < wanted
    ]


def _reviewed_applications(program: Program, challenge: Challenge | None) -> QuerySet[Application]:
    applications = Application.objects.filter(challenge__program=program, status__in=REVIEWED_STATUSES)
    if challenge is not None:
        applications = applications.filter(challenge=challenge)
    return applications.select_related("startup", "challenge").order_by("pk")


# --- Jurors of a challenge -----------------------------------------------------------------------------------------


def juror_refusal(*, challenge: Challenge, user: Any) -> AssignmentRefused | None:
    """Why `user` may not sit on the jury of `challenge`, or None: they must be a jury member of its edition, and a
    member of a partner sits only on the juries of the challenges their partner owns or co-sponsors."""
    action = "challenge.juror_refused"
    if not JuryMembership.objects.filter(program_id=challenge.program_id, user=user).exists():
        return AssignmentRefused(
            _("%(user)s is not a jury member of this edition.") % {"user": user},
            action=action,
            obj=challenge,
            reason_code="not_jury",
            user=user.pk,
        )
    partners = PartnerMembership.objects.filter(user=user).values("partner_id")
    if partners.exists() and not Challenge.objects.of_partners(_partners_of(partners)).filter(pk=challenge.pk).exists():
        return AssignmentRefused(
            _("%(user)s is a member of a partner: they may only judge their partner's own challenges.")
            % {"user": user},
            action=action,
            obj=challenge,
            reason_code="not_own_challenge",
            user=user.pk,
        )
    return None


@audited_transaction
def juror_add(*, challenge: Challenge, user: Any, actor: Any) -> ChallengeJuror:
    """Seat a jury member of the challenge's edition on its jury (see `juror_refusal` for who may sit)."""
    refusal = juror_refusal(challenge=challenge, user=user)
    if refusal is not None:
        raise refusal
    juror, created = ChallengeJuror.objects.get_or_create(challenge=challenge, user=user)
    if created:
        record(action="challenge.juror_added", actor=actor, obj=challenge, user=user.pk, email=user.email)
    return juror


def _partners_of(memberships: QuerySet) -> QuerySet:
    from partners.models import Partner

    return Partner.objects.filter(pk__in=memberships)


@audited_transaction
def juror_remove(*, challenge: Challenge, user: Any, actor: Any) -> int:
    """Take a juror off a challenge's jury. The reviews they have not started (no declaration yet) are withdrawn,
    to be assigned again; the others stay. Returns the number of reviews withdrawn."""
    deleted, _rows = ChallengeJuror.objects.filter(challenge=challenge, user=user).delete()
    withdrawn = list(
        Review.objects.filter(application__challenge=challenge, juror=user, status=ReviewStatus.ASSIGNED).values_list(
            "pk", flat=True
        )
    )
    Review.objects.filter(pk__in=withdrawn).delete()
    if deleted or withdrawn:
        record(action="challenge.juror_removed", actor=actor, obj=challenge, user=user.pk, reviews_withdrawn=withdrawn)
    return len(withdrawn)


# --- Assignment ----------------------------------------------------------------------------------------------------


def _lock(program_id: int) -> None:
    """Assignments of one edition run one at a time: two at once would both count the same reviews as missing."""
    Program.objects.select_for_update().filter(pk=program_id).first()


def _eligible_jurors(challenge_ids: list[int], program_id: int) -> dict[int, list[int]]:
    """Per challenge, the user ids of its jurors still jury members of the edition and active."""
    members = JuryMembership.objects.filter(program_id=program_id, user__is_active=True).values("user_id")
    jurors: dict[int, list[int]] = defaultdict(list)
    rows = ChallengeJuror.objects.filter(challenge_id__in=challenge_ids, user_id__in=members).order_by("user_id")
    for challenge_id, user_id in rows.values_list("challenge_id", "user_id"):
        jurors[challenge_id].append(user_id)
    return jurors


def _loads(program_id: int) -> dict[int, int]:
    """Counting reviews per juror in the edition."""
    rows = (
        Review.objects.counting()
        .filter(application__challenge__program_id=program_id)
        .values("juror_id")
        .annotate(load=Count("pk"))
        .values_list("juror_id", "load")
    )
    return defaultdict(int, dict(rows))


def _conflicts(user_ids: set[int]) -> dict[int, set[int]]:
    users = get_user_model()._default_manager.filter(pk__in=user_ids)
    return {user.pk: set(conflicted_startups(user).values_list("pk", flat=True)) for user in users}


def _assignments_url() -> str:
    return reverse("jury:assignments")


def _announce(new_reviews: list[Review], key: str) -> None:
    """One notice per juror and challenge of the reviews just assigned."""
    counts: dict[tuple[int, int], int] = defaultdict(int)
    challenges: dict[int, Challenge] = {}
    for review in new_reviews:
        counts[(review.juror_id, review.application.challenge_id)] += 1
        challenges[review.application.challenge_id] = review.application.challenge
    users = get_user_model()._default_manager.in_bulk({juror_id for juror_id, _c in counts})
    for (juror_id, challenge_id), count in sorted(counts.items()):
        notify(
            kind=REVIEW_ASSIGNED,
            recipients=[users[juror_id]],
            obj=challenges[challenge_id],
            key=f"{key}-{challenge_id}",
            url=_assignments_url(),
            context={"count": count},
        )


@audited_transaction
def reviews_assign(
    *, program: Program, actor: Any, challenge: Challenge | None = None, per_application: int | None = None
) -> int:
    """Give each reviewed application of the edition (or of one challenge) N counting reviews, from its challenge's
    jurors free of a conflict with the startup, the least loaded in the edition first (ties by id, so the same data
    give the same assignment). Idempotent; one run at a time per edition. Returns the number of reviews created;
    the applications left short are in the audit entry and in `shortfalls()`."""
    _lock(program.pk)
    program.refresh_from_db()
    wanted = per_application or program.reviews_per_application
    if wanted < 1:
        raise AssignmentRefused(
            _("Each application needs at least one review."),
            action="reviews.assign_refused",
            obj=program,
            reason_code="per_application",
        )
    if challenge is not None and challenge.program_id != program.pk:
        raise AssignmentRefused(
            _("This challenge belongs to another edition."),
            action="reviews.assign_refused",
            obj=program,
            reason_code="other_edition",
        )
    rubric_ensure(program=program, actor=actor)
    applications = list(_reviewed_applications(program, challenge))
    challenge_ids = sorted({application.challenge_id for application in applications})
    jurors = _eligible_jurors(challenge_ids, program.pk)
    loads = _loads(program.pk)
    conflicts = _conflicts({user_id for ids in jurors.values() for user_id in ids})
    reviewing: dict[int, set[int]] = defaultdict(set)
    counting: dict[int, int] = defaultdict(int)
    existing = Review.objects.filter(application__in=[application.pk for application in applications])
    for application_id, juror_id, status in existing.values_list("application_id", "juror_id", "status"):
        reviewing[application_id].add(juror_id)
        if status != ReviewStatus.RECUSED:
            counting[application_id] += 1
    rubrics: dict[int, Rubric | None] = {}
    new_reviews: list[Review] = []
    short: list[dict[str, int]] = []
    for application in applications:
        need = wanted - counting[application.pk]
        if need <= 0:
            continue
        if application.challenge_id not in rubrics:
            rubrics[application.challenge_id] = rubric_for(application.challenge)
        candidates = [
            user_id
            for user_id in jurors[application.challenge_id]
            if user_id not in reviewing[application.pk] and application.startup_id not in conflicts[user_id]
        ]
        candidates.sort(key=lambda user_id: (loads[user_id], user_id))
        for user_id in candidates[:need]:
            review = Review(
                application=application,
                juror_id=user_id,
                rubric=rubrics[application.challenge_id],
                status=ReviewStatus.ASSIGNED,
                assigned_by=actor if getattr(actor, "pk", None) else None,
            )
            new_reviews.append(review)
            loads[user_id] += 1
            reviewing[application.pk].add(user_id)
        if len(candidates) < need:
            short.append({"application": application.pk, "missing": need - len(candidates)})
    Review.objects.bulk_create(new_reviews)
    record(
        action="reviews.assigned",
        actor=actor,
        obj=program,
        challenge=challenge.pk if challenge else None,
        per_application=wanted,
        created=len(new_reviews),
        shortfalls=short,
    )
    if new_reviews:
        _announce(new_reviews, key=f"assigned-{new_reviews[0].pk}")
    return len(new_reviews)


@audited_transaction
def review_replace(*, review: Review, actor: Any = None) -> Review | None:
    """After a recusal: the least loaded other juror of the challenge free of a conflict with the startup reviews
    the application instead, if it is short of its N; None when nobody can."""
    application = Application.objects.select_related("startup", "challenge__program").get(pk=review.application_id)
    program = application.challenge.program
    _lock(program.pk)
    reviews = Review.objects.filter(application=application)
    if reviews.counting().count() >= program.reviews_per_application:
        return None
    taken = set(reviews.values_list("juror_id", flat=True))
    candidates = [
        user_id
        for user_id in _eligible_jurors([application.challenge_id], program.pk)[application.challenge_id]
        if user_id not in taken
    ]
    conflicts = _conflicts(set(candidates))
    loads = _loads(program.pk)
    candidates = sorted(
        (user_id for user_id in candidates if application.startup_id not in conflicts[user_id]),
        key=lambda user_id: (loads[user_id], user_id),
    )
    if not candidates:
        record(action="review.replacement_missing", actor=actor, obj=application, recused=review.pk)
        return None
    replacement = Review.objects.create(
        application=application,
        juror_id=candidates[0],
        rubric=rubric_for(application.challenge) or review.rubric,
        status=ReviewStatus.ASSIGNED,
        assigned_by=actor if getattr(actor, "pk", None) else None,
    )
    record(action="review.replaced", actor=actor, obj=replacement, recused=review.pk, juror=candidates[0])
    _announce([replacement], key=f"assigned-{replacement.pk}")
    return replacement


# --- Conflicts of interest -----------------------------------------------------------------------------------------


def _description(description: str, *, obj: Any, action: str) -> str:
    description = (description or "").strip()
    if not description:
        raise AssignmentRefused(
            _("Describe the link: the description is required."), action=action, obj=obj, reason_code="no_description"
        )
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise AssignmentRefused(
            _("Describe the link in %(count)d characters at most.") % {"count": DESCRIPTION_MAX_LENGTH},
            action=action,
            obj=obj,
            reason_code="too_long",
        )
    return description


def _recuse_conflicted(juror: Any, declaration: ConflictDeclaration, actor: Any) -> list[Review]:
    """Recuse every review of `juror` of a startup they are now linked to, and replace each."""
    linked = conflicted_startups(juror).values("pk")
    reviews = list(
        Review.objects.select_for_update(of=("self",))
        .filter(juror=juror, application__startup__in=linked)
        .exclude(status=ReviewStatus.RECUSED)
        .order_by("pk")
    )
    if not reviews:
        return []
    submitted = [review.pk for review in reviews if review.status == ReviewStatus.SUBMITTED]
    for review in reviews:
        review.status, review.recusal = ReviewStatus.RECUSED, declaration
        review.save(update_fields=["status", "recusal", "updated_at"])
    record(
        action="review.recused",
        actor=actor,
        obj=declaration,
        reviews=[review.pk for review in reviews],
        # A submitted review recused later no longer counts: its scores stay stored but are left out of the results.
        submitted_no_longer_counting=submitted,
    )
    for review in reviews:
        review_replace(review=review, actor=actor)
    return reviews


@audited_transaction
def conflict_declare(
    *,
    juror: Any,
    description: str,
    program: Program | None = None,
    startup: Startup | None = None,
    organisation: str = "",
    person: str = "",
) -> ConflictDeclaration:
    """A juror declares a standing link (kept across editions) with a startup, or an organisation or a person by
    name. Every review they hold of a startup now linked to them is recused (a submitted one too: its scores no
    longer count) and given to another juror."""
    action = "conflict.declaration_refused"
    description = _description(description, obj=startup, action=action)
    organisation, person = (organisation or "").strip(), (person or "").strip()
    if startup is None and not organisation and not person:
        raise AssignmentRefused(
            _("Name the startup, organisation or person you are linked to."),
            action=action,
            obj=None,
            reason_code="nobody",
        )
    declaration = ConflictDeclaration(
        juror=juror,
        program=program,
        startup=startup,
        organisation=organisation,
        person=person,
        description=description,
    )
    try:
        declaration.full_clean()
    except ValidationError as error:
        raise AssignmentRefused(" ".join(error.messages), action=action, obj=None, reason_code="invalid") from error
    declaration.save()
    record(
        action="conflict.declared",
        actor=juror,
        obj=declaration,
        startup=startup.pk if startup else None,
        organisation=organisation,
        person=person,
        description=description,
    )
    _recuse_conflicted(juror, declaration, juror)
    return declaration


def _own_review(review: Review, juror: Any, action: str) -> Review:
    locked = (
        Review.objects.select_for_update(of=("self",))
        .select_related("application__challenge")
        .filter(pk=review.pk)
        .first()
    )
    if locked is None or locked.juror_id != getattr(juror, "pk", None):
        raise AssignmentRefused(_("This review is not yours."), action=action, obj=review, reason_code="not_yours")
    return locked


@audited_transaction
def review_clear(*, review: Review, juror: Any) -> Review:
    """The juror declares they have no link with the application's startup: they may now see and score it."""
    action = "review.clearance_refused"
    review = _own_review(review, juror, action)
    if review.status != ReviewStatus.ASSIGNED:
        raise AssignmentRefused(
            _("You already declared for this application."), action=action, obj=review, reason_code="not_assigned"
        )
    if is_conflicted(juror, review.application.startup_id):
        raise AssignmentRefused(
            _("Your register links you to this startup: you cannot review its application."),
            action=action,
            obj=review,
            reason_code="conflicted",
        )
    review.status, review.cleared_at = ReviewStatus.DRAFT, timezone.now()
    review.save(update_fields=["status", "cleared_at", "updated_at"])
    record(action="review.cleared", actor=juror, obj=review)
    return review


@audited_transaction
def review_recuse(*, review: Review, juror: Any, description: str) -> ConflictDeclaration:
    """The juror declares a link with the application's startup: the link goes into their register, they leave
    this review (and any other of that startup), and another juror is assigned."""
    action = "review.recusal_refused"
    review = _own_review(review, juror, action)
    if review.status == ReviewStatus.RECUSED:
        raise AssignmentRefused(
            _("You already withdrew from this application."), action=action, obj=review, reason_code="recused"
        )
    description = _description(description, obj=review, action=action)
    application = review.application
    declaration = ConflictDeclaration.objects.create(
        juror=juror,
        program_id=application.challenge.program_id,
        startup_id=application.startup_id,
        description=description,
    )
    record(
        action="conflict.declared",
        actor=juror,
        obj=declaration,
        startup=application.startup_id,
        description=description,
        review=review.pk,
    )
    _recuse_conflicted(juror, declaration, juror)
    return declaration
