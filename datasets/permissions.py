"""Who sees which dataset's page: everyone sees the open datasets of the partners shown to them; the owner
partner's members see all of its datasets. Pages fetch through `access_dataset`, so "forbidden" and "does not
exist" both answer 404."""

from typing import Any

from django.db.models import Q

from datacity.core.access import visible_or_404
from partners.permissions import partners_of_member, partners_visible_to

from .models import AccessLevel, Dataset, DatasetQuerySet


def datasets_visible_to(user: Any) -> DatasetQuerySet:
    # An open dataset of a partner kept off the public pages stays hidden with it, until the partner is announced.
    open_data = Q(access_level=AccessLevel.PUBLIC, owner__in=partners_visible_to(user))
    return Dataset.objects.filter(open_data | Q(owner__in=partners_of_member(user)))


def access_dataset(user: Any, slug: str) -> Dataset:
    """The dataset `slug` with its owner if `user` may see it; 404 otherwise, audited."""
    return visible_or_404(datasets_visible_to(user).select_related("owner"), slug=slug)
