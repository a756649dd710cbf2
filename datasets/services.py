"""Writes on the data catalogue: a partner's members (or staff, through the admin) create and edit datasets."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from challenges.models import Challenge
from datacity.core.services import assign, audited_save
from partners.models import Partner

from .models import Dataset

# A dataset's own metadata, beside its translated texts: with them, what its form may set (everything but its owner,
# fixed at creation, and its timestamps).
TRANSLATED_FIELDS = ("title", "description", "keywords")
METADATA_FIELDS = (
    "slug",
    "licence",
    "access_level",
    "themes",
    "contact_name",
    "contact_email",
    "spatial_coverage",
    "temporal_start",
    "temporal_end",
    "update_frequency",
    "issued",
    "modified",
    "languages",
)
EDITABLE_FIELDS = frozenset(
    {
        *(f"{name}_{lang}" for name in TRANSLATED_FIELDS for lang in ("fr", "ar", "en")),
        *METADATA_FIELDS,
    }
)


def _check_fields(data: Mapping[str, Any]) -> None:
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable on a dataset: {sorted(unknown)}")


@transaction.atomic
def dataset_create(
    *, owner: Partner, actor: Any, data: Mapping[str, Any], challenges: Iterable[Challenge] = ()
) -> Dataset:
    """A new dataset of `owner`, validated and audited."""
    _check_fields(data)
    dataset = Dataset(owner=owner)
    assign(dataset, data)
    audited_save(instance=dataset, actor=actor, m2m={"challenges": list(challenges)}, action="dataset.created")
    return dataset


@transaction.atomic
def dataset_update(
    *,
    dataset: Dataset,
    actor: Any,
    data: Mapping[str, Any],
    challenges: Iterable[Challenge] | None = None,
    owner: Partner | None = None,
) -> Dataset:
    """Change a dataset's metadata (and its related challenges, when given); the audit entry says what changed.

    Only staff move a dataset to another partner (`owner`, from the admin); partners' pages never pass it.
    """
    _check_fields(data)
    assign(dataset, data)
    if owner is not None:
        dataset.owner = owner
    m2m = {} if challenges is None else {"challenges": list(challenges)}
    audited_save(instance=dataset, actor=actor, m2m=m2m, action="dataset.updated")
    return dataset
