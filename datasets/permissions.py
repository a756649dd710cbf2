"""Who sees which dataset, and who may edit it. The metadata of every dataset is public (as soon as its partner
is): only the files are governed, by the access level. The owner partner's members see and edit all of its
datasets. Pages fetch through `access_dataset`, so "forbidden" and "does not exist" both answer 404."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from datacity.core.access import visible_or_404
from partners.models import Partner
from partners.permissions import access_partner, partners_of_member, partners_visible_to
from startups.models import Startup
from startups.permissions import startups_of_member

from .models import AccessLevel, Dataset, DatasetQuerySet


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
    summary: Promise
    how_to_get_more: Promise | None = None


def file_access(user: Any, dataset: Dataset) -> FileAccess:
    """The visitor's access to the files of `dataset` under its access level. Files come with the data room: for
    now this is what the page says."""
    if dataset.access_level == AccessLevel.PUBLIC:
        return FileAccess(True, _("Open data: anyone may use the files, under the licence."))
    if user.is_authenticated and partners_of_member(user).filter(pk=dataset.owner_id).exists():
        return FileAccess(True, _("Your organisation shares this dataset: you have access to its files."))
    if dataset.access_level == AccessLevel.PARTICIPANTS:
        selected = Startup.objects.selected().filter(pk__in=startups_of_member(user).values("pk"))
        if user.is_authenticated and selected.exists():
            return FileAccess(True, _("Your startup takes part in the program: you have access to its files."))
        return FileAccess(
            False,
            _("The files are for the members of the startups selected in the program."),
            _("Apply to a challenge of the program: once your startup is selected, its members get the files."),
        )
    return FileAccess(
        False,
        _("The files are shared on request, under a data-use agreement."),
        _(
            "Members of a startup selected in the program will be able to request access from the partner, "
            "with the purpose they need it for. Access requests are coming soon; meanwhile, write to the contact "
            "point."
        ),
    )


def can_edit(user: Any, dataset: Dataset) -> bool:
    """Whether `user` is a member of the partner that owns `dataset` (the dataset page links to its form)."""
    return user.is_authenticated and partners_of_member(user).filter(pk=dataset.owner_id).exists()
