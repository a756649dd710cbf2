"""Who sees which dataset, and who may edit it. The metadata of every dataset is public (as soon as its partner
is): only the files are governed, by the access level. The owner partner's members see and edit all of its
datasets. Pages fetch through `access_dataset`, so "forbidden" and "does not exist" both answer 404."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from datacity.core.access import visible_or_404
from partners.models import Partner
from partners.permissions import access_partner, partners_of_member, partners_visible_to
from startups.agreements import agreement_url, selection_to_sign, startups_with_agreement_in_force
from startups.models import Startup
from startups.permissions import startups_of_member

from .models import AccessGrant, AccessLevel, AgreementAcceptance, Dataset, DatasetQuerySet, DataUseAgreement

# From this long before a grant's end, the startup may ask for it to be renewed (and is told it ends soon).
RENEWAL_WINDOW = timedelta(days=7)


def datasets_visible_to(user: Any) -> DatasetQuerySet:
    # A dataset of a partner kept off the public pages stays hidden with it, until the partner is announced.
    return Dataset.objects.filter(Q(owner__in=partners_visible_to(user)) | Q(owner__in=partners_of_member(user)))


def access_dataset(user: Any, slug: str, *, as_member: bool = False) -> Dataset:
    """The dataset `slug` with its owner if `user` may see it (or edit it, as a member of its owner, with
    `as_member`); 404 otherwise, audited."""
    own = Dataset.objects.filter(owner__in=partners_of_member(user))
    visible = own if as_member else datasets_visible_to(user)
    return visible_or_404(visible.select_related("owner"), slug=slug)


def partner_publishing_as(user: Any, slug: str) -> Partner:
    """The partner `slug` if `user` is one of its members, who may add datasets to it; 404 otherwise."""
    return access_partner(user, slug, as_member=True)


def partners_publishing_for(user: Any) -> list[Partner]:
    """The partners `user` may add datasets to (one query, none for a visitor)."""
    if not user.is_authenticated:
        return []
    return list(partners_of_member(user).order_by("name"))


@dataclass(frozen=True)
class FileAccess:
    """What a visitor may do with a dataset's files, and how to get more: shown on the dataset page."""

    allowed: bool
    summary: Promise | str
    how_to_get_more: Promise | None = None
    # Where to ask for more (the access request form), when the visitor may ask.
    request_url: str = ""
    # Where the startup's experimentation agreement waits for signatures, when that is what keeps the files closed.
    agreement_url: str = ""


def _is_owner_member(user: Any, dataset: Dataset) -> bool:
    return user.is_authenticated and partners_of_member(user).filter(pk=dataset.owner_id).exists()


def _selected_startups(user: Any) -> Any:
    return Startup.objects.selected().filter(pk__in=startups_of_member(user).values("pk")).order_by("name")


def _cleared_startups(user: Any) -> Any:
    """`user`'s selected startups whose experimentation agreement is in force: the only ones that get governed data
    (data access opens once the city, the sponsoring partner and the startup have all signed)."""
    return _selected_startups(user).filter(pk__in=startups_with_agreement_in_force().values("pk"))


def _agreement_pending(user: Any) -> "FileAccess":
    """The files stay closed to a selected startup until its agreement is signed by all three parties."""
    selection = selection_to_sign(_selected_startups(user).values("pk"))
    return FileAccess(
        False,
        _("Your startup's experimentation agreement is not yet signed by all three parties."),
        _(
            "Data access opens once the city, the sponsoring partner and your startup have signed the agreement: "
            "open it to see who still has to sign."
        ),
        agreement_url=agreement_url(selection.pk) if selection is not None else "",
    )


def active_grant(user: Any, dataset: Dataset) -> AccessGrant | None:
    """The grant in force now for one of `user`'s startups on `dataset` (the longest-running one), read at request
    time: an ended or revoked grant stops downloads at once."""
    if not user.is_authenticated:
        return None
    return (
        AccessGrant.objects.active()
        .filter(dataset=dataset, startup__in=startups_of_member(user))
        .select_related("startup")
        .order_by("-ends_at")
        .first()
    )


def _cleared_grant(user: Any, dataset: Dataset) -> AccessGrant | None:
    """The active grant, if its startup's experimentation agreement is in force (a grant gives nothing before)."""
    grant = active_grant(user, dataset)
    if grant is None or not startups_with_agreement_in_force().filter(pk=grant.startup_id).exists():
        return None
    return grant


def file_access(user: Any, dataset: Dataset) -> FileAccess:
    """The visitor's access to the files of `dataset` under its access level, and how to get more."""
    if dataset.access_level == AccessLevel.PUBLIC:
        return FileAccess(True, _("Open data: anyone may use the files, under the licence."))
    if _is_owner_member(user, dataset):
        return FileAccess(True, _("Your organisation shares this dataset: you have access to its files."))
    selected = user.is_authenticated and _selected_startups(user).exists()
    cleared = selected and _cleared_startups(user).exists()
    if selected and not cleared:
        return _agreement_pending(user)
    if dataset.access_level == AccessLevel.PARTICIPANTS:
        if cleared:
            return FileAccess(True, _("Your startup takes part in the program: you have access to its files."))
        return FileAccess(
            False,
            _("The files are for the members of the startups selected in the program."),
            _("Apply to a challenge of the program: once your startup is selected, its members get the files."),
        )
    grant = _cleared_grant(user, dataset)
    if grant is not None:
        if grant.ends_at - timezone.now() <= RENEWAL_WINDOW:
            return FileAccess(
                True,
                _("Your startup's access to the files ends on %(date)s.")
                % {"date": date_format(timezone.localtime(grant.ends_at), "SHORT_DATETIME_FORMAT")},
                _("Ask the partner to renew it, saying what your startup still needs the data for."),
                reverse("datasets:request_access", kwargs={"slug": dataset.slug}),
            )
        return FileAccess(
            True,
            _(
                "The partner gives your startup access to the files until the end date of the grant, under the "
                "dataset's data-use agreement."
            ),
        )
    if cleared:
        return FileAccess(
            False,
            _("The files are shared on request, under a data-use agreement."),
            _("Ask the partner for access, saying what your startup needs the data for."),
            reverse("datasets:request_access", kwargs={"slug": dataset.slug}),
        )
    return FileAccess(
        False,
        _("The files are shared on request, under a data-use agreement."),
        _("Members of a startup selected in the program may request access from the partner, with their purpose."),
    )


@dataclass(frozen=True)
class DownloadDecision:
    """Whether `user` may download the files of a dataset now, under which grant and for which startup (for the
    log), and the agreement version still to accept, if any (then `allowed` is False)."""

    allowed: bool
    grant: AccessGrant | None = None
    startup: Startup | None = None
    agreement: DataUseAgreement | None = None
    agreement_to_accept: DataUseAgreement | None = None
    # Governed data (participants or restricted): every allowed download is logged.
    logged: bool = True


def download_decision(user: Any, dataset: Dataset) -> DownloadDecision:
    """The rule of `file_access`, plus the data-use agreement for restricted data: a startup member downloads only
    after accepting its LATEST version (a new version must be accepted again). With no agreement published, the
    restricted files stay closed: the partner publishes one before anyone downloads."""
    if dataset.access_level == AccessLevel.PUBLIC:
        return DownloadDecision(True, logged=False)
    if _is_owner_member(user, dataset):
        return DownloadDecision(True)
    if dataset.access_level == AccessLevel.PARTICIPANTS:
        startup = _cleared_startups(user).first() if user.is_authenticated else None
        return DownloadDecision(startup is not None, startup=startup)
    grant = _cleared_grant(user, dataset)
    if grant is None:
        return DownloadDecision(False)
    agreement = dataset.agreements.order_by("-version").first()
    if agreement is None:
        return DownloadDecision(False, grant=grant, startup=grant.startup)
    if not AgreementAcceptance.objects.filter(agreement=agreement, user=user).exists():
        return DownloadDecision(False, grant=grant, startup=grant.startup, agreement_to_accept=agreement)
    return DownloadDecision(True, grant=grant, startup=grant.startup, agreement=agreement)


def can_edit(user: Any, dataset: Dataset) -> bool:
    """Whether `user` is a member of the partner that owns `dataset` (the dataset page links to its form)."""
    return _is_owner_member(user, dataset)
