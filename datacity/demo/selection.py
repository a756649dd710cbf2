"""The demo's jury selection in the current demo edition: the default rubric, the jurors of its challenges (the demo
jury account and three more demo jurors), applications of the fictive startups beside the demo founder's, the
reviews assigned, one declared conflict of interest, and the reviews of three demo jurors (a harsh, a lenient, a
middling one) scored and submitted, the demo jury account's own left to do. Texts are invented for the demo.

Idempotent: a second run changes nothing. The rubric, jurors, conflict and assignment go through the services staff
and jurors use (audited, notified as in real use); the scores are written directly (see `_score`).
"""

from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from challenges.models import Challenge, JuryMembership, Program
from challenges.rubrics import rubric_ensure, rubric_freeze
from datacity.core.models import MembershipRole
from datacity.demo import content
from startups import assignment
from startups.models import (
    Application,
    ApplicationStatus,
    ConflictDeclaration,
    Review,
    ReviewStatus,
    Score,
    Startup,
)

# Demo jurors beside the demo jury account: seed data, not accounts to log in with (no two-factor enrolment, and
# jurors must use it), so they are not listed among the demo accounts.
JURORS = [
    ("jury2@demo.example.org", "Jurée Salma (démo)"),
    ("jury3@demo.example.org", "Juré Karim (démo)"),
    ("jury4@demo.example.org", "Jurée Nadia (démo)"),
]
# The one declared conflict: the last demo juror is linked to the demo startup, so never reviews its application.
CONFLICTED_JUROR = "jury4@demo.example.org"
CONFLICT_DESCRIPTION = "Démo : j'ai conseillé l'équipe fondatrice lors de sa levée de fonds en 2016."
# Applications of the fictive demo startups to the current edition, beside the demo founder's own, so that each
# challenge has several to rank: (startup slug, challenge slug, proposed solution). Invented for the demo.
OTHER_APPLICATIONS = [
    (
        "aquasense-fictive",
        "fuites-eau-logements",
        "Démo : des capteurs acoustiques posés sur les colonnes montantes des immeubles, qui signalent une fuite au "
        "syndic et au distributeur.",
    ),
    (
        "darnet-fictive",
        "fuites-eau-logements",
        "Démo : une application de relevé du compteur par photo, qui compare la consommation de chaque foyer à des "
        "foyers semblables.",
    ),
    (
        "tramflow-fictive",
        "correspondances-tram-busway",
        "Démo : des écrans aux stations qui annoncent l'attente réelle de la correspondance, calculée en direct.",
    ),
    (
        "ecoroute-fictive",
        "correspondances-tram-busway",
        "Démo : un calculateur d'itinéraire qui propose la correspondance la plus sûre plutôt que la plus courte.",
    ),
    (
        "lumina-fictive",
        "ilots-de-chaleur",
        "Démo : des ombrières solaires sur les places exposées, avec des sondes de température avant et après.",
    ),
]
# Each application's invented merit (0-5) by startup slug, and each scoring demo juror's habit: Salma is harsh, Karim
# lenient, Nadia in between; their scores are the merit plus their habit, so the raw means disagree and the
# normalised ranking shows how the method evens them out. The demo jury account's own reviews are left to do.
MERIT = {
    "kezakoo": 3.6,
    "aquasense-fictive": 3.2,
    "darnet-fictive": 2.4,
    "tramflow-fictive": 3.8,
    "ecoroute-fictive": 2.8,
    "lumina-fictive": 3.0,
}
SUBMITTED = {
    "jury2@demo.example.org": (-1.0, "Démo : une équipe solide, une expérimentation à cadrer."),
    "jury3@demo.example.org": (1.0, "Démo : bonne adéquation au défi, données bien mobilisées."),
    "jury4@demo.example.org": (0.0, "Démo : un projet réaliste ; le plan de mesure reste à préciser."),
}
# Criterion by criterion, a little variation around the merit, the same for every juror (in the rubric's order).
SHAPE = [0.3, -0.2, 0.0, 0.4, -0.5]


def _demo_user(email: str, full_name: str) -> Any:
    user_model = get_user_model()
    user = user_model._default_manager.filter(email=email).first()
    if user is None:
        user = user_model.objects.create_user(email, content.DEMO_PASSWORD, full_name=full_name, is_demo=True)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def load_selection() -> None:
    """The selection of the current demo edition (where demo accounts exist: without them nobody applied)."""
    program = Program.objects.filter(slug=content.CURRENT_PROGRAM["slug"]).first()
    jury_email = next(email for email, _name, role, _org in content.DEMO_ACCOUNTS if role == "jury")
    staff_email = next(email for email, _name, role, _org in content.DEMO_ACCOUNTS if role == "staff")
    user_model = get_user_model()
    jury = user_model._default_manager.filter(email=jury_email).first()
    staff = user_model._default_manager.filter(email=staff_email).first()
    if not settings.DEMO_ACCOUNTS_ENABLED or program is None or jury is None or staff is None:
        return
    rubric_ensure(program=program, actor=staff)
    jurors = [jury, *(_demo_user(email, name) for email, name in JURORS)]
    for user in jurors:
        if not JuryMembership.objects.filter(program=program, user=user).exists():
            JuryMembership.objects.create(program=program, user=user, role=MembershipRole.MEMBER)
    conflicted = next(user for user in jurors if user.email == CONFLICTED_JUROR)
    founder_slug = next(org for _email, _name, role, org in content.DEMO_ACCOUNTS if role == "startup")
    startup = Startup.objects.filter(slug=founder_slug).first()
    if startup is not None and not ConflictDeclaration.objects.filter(juror=conflicted, startup=startup).exists():
        # Declared before any assignment, as a juror would on their register: they are never assigned it.
        assignment.conflict_declare(
            juror=conflicted, program=program, startup=startup, description=CONFLICT_DESCRIPTION
        )
    for challenge in Challenge.objects.filter(program=program).order_by("pk"):
        for user in jurors:
            if not challenge.jurors.filter(user=user).exists():
                assignment.juror_add(challenge=challenge, user=user, actor=staff)
    _other_applications(program)
    # Idempotent: it assigns only what an application still lacks (none on a second run).
    assignment.reviews_assign(program=program, actor=staff)
    _score(program)


def _other_applications(program: Program) -> None:
    """The fictive startups' submitted applications. Written with the ORM: the application services act for a
    startup's member, and these startups have no demo account (nobody would log in as them)."""
    now = timezone.now()
    for slug, challenge_slug, solution in OTHER_APPLICATIONS:
        startup = Startup.objects.filter(slug=slug).first()
        challenge = Challenge.objects.filter(program=program, slug=challenge_slug).first()
        if startup is None or challenge is None:
            continue
        Application.objects.get_or_create(
            startup=startup,
            challenge=challenge,
            defaults={
                "status": ApplicationStatus.SUBMITTED,
                "submitted_at": now,
                "solution": solution,
                "team": "Démo : deux fondateurs, une ingénieure données.",
                "data_use": "Démo : les données ouvertes du catalogue et un site d'expérimentation.",
            },
        )


def _score(program: Program) -> None:
    """Two demo jurors' reviews, scored and submitted. Written with the ORM, not through the scoring service: that
    service accepts scores only while the edition's selection phase is open, and the demo edition is loaded with its
    call for applications open (its selection comes three weeks later), yet the demo should show scored reviews."""
    applications = Application.objects.filter(challenge__program=program)
    for email, (habit, comment) in SUBMITTED.items():
        for review in Review.objects.filter(
            application__in=applications, juror__email=email, status=ReviewStatus.ASSIGNED
        ).select_related("rubric", "application__startup"):
            merit = MERIT.get(review.application.startup.slug, 3.0)
            criteria = list(review.rubric.criteria.order_by("order", "pk"))
            Score.objects.bulk_create(
                Score(
                    review=review,
                    criterion=criterion,
                    value=max(criterion.scale_min, min(round(merit + habit + shape), criterion.scale_max)),
                )
                for criterion, shape in zip(criteria, SHAPE, strict=False)
            )
            now = timezone.now()
            review.status, review.cleared_at, review.submitted_at, review.comment = (
                ReviewStatus.SUBMITTED,
                now,
                now,
                comment,
            )
            review.save(update_fields=["status", "cleared_at", "submitted_at", "comment", "updated_at"])
            rubric_freeze(rubric=review.rubric, now=now)
