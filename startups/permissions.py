"""Who sees which startup, and who may act on it: the public sees startups selected in a published edition;
members see their own; owners manage them. Lists filter with these querysets; pages fetch through `access_startup`.

Applications: the startup's members see theirs in every status; the members of the partner owning the challenge
see the submitted ones (read-only); staff who may view applications see all. Drafts and withdrawn applications
are the startup's alone."""

from typing import Any

from django.db.models import Q, QuerySet

from datacity.core.access import visible_or_404
from datacity.core.models import MembershipRole
from partners.models import PartnerMembership

from .models import (
    Application,
    ApplicationStatus,
    Attachment,
    Selection,
    Startup,
    StartupMembership,
    StartupQuerySet,
)

# What a partner (and later the jury) reads: applications the startup has sent, in any status of the review.
SENT = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.ELIGIBLE,
    ApplicationStatus.INELIGIBLE,
)


def startups_visible_to(user: Any) -> StartupQuerySet:
    public = Q(pk__in=Startup.objects.selected().values("pk"))
    if not user.is_authenticated:
        return Startup.objects.filter(public)
    own = StartupMembership.objects.filter(user=user).values("startup_id")
    return Startup.objects.filter(public | Q(pk__in=own))


def startups_of_member(user: Any, *, as_owner: bool = False) -> StartupQuerySet:
    """The startups `user` belongs to (as an owner only, with `as_owner`)."""
    if not user.is_authenticated:
        return Startup.objects.none()
    memberships = StartupMembership.objects.filter(user=user)
    if as_owner:
        memberships = memberships.filter(role=MembershipRole.OWNER)
    return Startup.objects.filter(pk__in=memberships.values("startup_id"))


def access_startup(user: Any, slug: str, *, as_member: bool = False, as_owner: bool = False) -> Startup:
    """The startup `slug` if `user` may see it (or act on it as a member / an owner); 404 otherwise, audited."""
    if as_member or as_owner:
        return visible_or_404(startups_of_member(user, as_owner=as_owner), slug=slug)
    return visible_or_404(startups_visible_to(user).for_listing(), slug=slug)


def is_member(user: Any, startup: Startup) -> bool:
    return startups_of_member(user).filter(pk=startup.pk).exists()


def applications_of_member(user: Any) -> "QuerySet[Application]":
    """The applications of the startups `user` belongs to, in every status."""
    return Application.objects.filter(startup__in=startups_of_member(user))


def applications_for_partner(user: Any) -> "QuerySet[Application]":
    """The sent applications to the challenges owned by the partners `user` belongs to."""
    if not user.is_authenticated:
        return Application.objects.none()
    partners = PartnerMembership.objects.filter(user=user).values("partner_id")
    return Application.objects.filter(challenge__owner__in=partners, status__in=SENT)


def applications_visible_to(user: Any) -> "QuerySet[Application]":
    if not user.is_authenticated:
        return Application.objects.none()
    if user.is_active and user.is_staff and user.has_perm("startups.view_application"):
        return Application.objects.all()
    own = applications_of_member(user).values("pk")
    partner = applications_for_partner(user).values("pk")
    return Application.objects.filter(Q(pk__in=own) | Q(pk__in=partner))


def access_application(user: Any, pk: int, *, as_member: bool = False) -> Application:
    """The application `pk` if `user` may read it (or change it, as a member of its startup); 404 otherwise,
    audited."""
    visible = applications_of_member(user) if as_member else applications_visible_to(user)
    return visible_or_404(visible.select_related("startup", "challenge__program", "challenge__owner"), pk=pk)


def _application_of_juror(user: Any, application_pk: int) -> "Application | None":
    """The application `pk` if `user` reviews it as a juror who declared no conflict, in an edition without blind
    review (under blind review the files' names and contents could name the startup: jurors read the answers only).
    A juror reads its files, never its page, which shows the startup."""
    from .reviews import reviews_of_juror  # the jury's rule of what a juror may open, above this module

    review = (
        reviews_of_juror(user)
        .filter(application_id=application_pk, application__challenge__program__blind_review=False)
        .select_related("application")
        .first()
    )
    return review.application if review else None


def access_attachment(user: Any, application_pk: int, attachment_pk: int) -> Attachment:
    """A file of an application `user` may read; 404 otherwise (audited), whether the application or the file is
    missing or hidden."""
    application = _application_of_juror(user, application_pk) or access_application(user, application_pk)
    files = Attachment.objects.filter(application=application)
    if not applications_of_member(user).filter(pk=application.pk).exists():
        # Others read what the startup sent: the files its answers or its submitted versions name, not a file
        # uploaded with a refused submission and never sent.
        files = files.filter(pk__in=application.named_files())
    return visible_or_404(files, pk=attachment_pk)


# --- Experiments: a selected startup's agreement, deliverables and indicators ----------------------------------------


def experiments_visible_to(user: Any) -> "QuerySet[Selection]":
    """The selections whose experiment `user` may follow: the startup's members, the sponsoring partner's members,
    and staff who may view selections. The one definition of it."""
    if not user.is_authenticated:
        return Selection.objects.none()
    if user.is_active and user.is_staff and user.has_perm("startups.view_selection"):
        return Selection.objects.all()
    return experiments_of_party(user)


def experiments_of_party(user: Any) -> "QuerySet[Selection]":
    """The experiments `user` takes part in as a member of the startup or of the sponsoring partner (staff's own
    access aside): those My space lists."""
    if not user.is_authenticated:
        return Selection.objects.none()
    own = StartupMembership.objects.filter(user=user).values("startup_id")
    partners = PartnerMembership.objects.filter(user=user).values("partner_id")
    return Selection.objects.filter(Q(startup__in=own) | Q(sponsor__in=partners))


def access_experiment(user: Any, pk: int) -> Selection:
    """The selection `pk` with its startup, edition, challenge and sponsor if `user` may follow its experiment; 404
    otherwise, audited."""
    visible = experiments_visible_to(user).select_related("startup", "program", "challenge", "sponsor")
    return visible_or_404(visible, pk=pk)


def experiment_role(user: Any, selection: Selection) -> str:
    """How `user` takes part in the experiment: "startup", "partner" (the sponsor's member), "city" (staff) or ""."""
    if StartupMembership.objects.filter(user=user, startup_id=selection.startup_id).exists():
        return "startup"
    if selection.sponsor_id and PartnerMembership.objects.filter(user=user, partner_id=selection.sponsor_id).exists():
        return "partner"
    if user.is_active and user.is_staff:
        return "city"
    return ""
