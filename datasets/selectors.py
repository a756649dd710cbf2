"""Reads of the data catalogue that other pages compose (a challenge's page, a partner's page, My space)."""

from django.db.models import QuerySet

from challenges.models import Challenge
from partners.models import Partner

from .models import Dataset


def public_datasets(*, partner: Partner | None = None, challenge: Challenge | None = None) -> QuerySet[Dataset]:
    datasets = Dataset.objects.public().select_related("owner").order_by("title")
    if partner is not None:
        datasets = datasets.filter(owner=partner)
    if challenge is not None:
        datasets = datasets.filter(challenges=challenge)
    return datasets


def datasets_owned_by(partner_ids: list[int]) -> dict[int, list[Dataset]]:
    """Every dataset each of these partners shares, whatever its access level: one query."""
    owned: dict[int, list[Dataset]] = {pk: [] for pk in partner_ids}
    for dataset in Dataset.objects.filter(owner__in=partner_ids).order_by("title"):
        owned[dataset.owner_id].append(dataset)
    return owned
