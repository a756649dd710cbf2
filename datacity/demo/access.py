"""The demo's data-room access: a data-use agreement for the restricted demo dataset, the demo startup (Kezakoo)
with access granted to it, and one request waiting for the partner's decision. Texts are invented for the demo.

Idempotent: a second run changes nothing. Everything goes through the services partners and startups use, so it is
audited and notified as in real use.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from datacity.demo import content
from datasets import access
from datasets.models import AccessGrant, AccessLevel, AccessRequest, Dataset
from datasets.services import dataset_create
from partners.models import PartnerMembership
from startups.models import Startup

RESTRICTED_DATASET = "comptage-eau-secteurs"
AGREEMENT_TEXT = (
    "Démo – Accord d'utilisation des données (texte inventé pour la démonstration).\n\n"
    "1. Les données ne servent qu'au prototype développé dans le programme DataCity.\n"
    "2. Elles ne sont ni publiées, ni revendues, ni transmises à un tiers.\n"
    "3. Elles sont supprimées à la fin de l'accès accordé.\n"
    "4. Toute publication de résultats agrégés est soumise au partenaire avant diffusion."
)


def _account(role: str) -> tuple[object | None, str | None]:
    email, slug = next((email, slug) for email, _name, kind, slug in content.DEMO_ACCOUNTS if kind == role)
    return get_user_model()._default_manager.filter(email=email).first(), slug


def load_access() -> None:
    dataset = Dataset.objects.filter(slug=RESTRICTED_DATASET).select_related("owner").first()
    founder, startup_slug = _account("startup")
    startup = Startup.objects.filter(slug=startup_slug).first()
    if dataset is None or founder is None or startup is None:
        return
    decider = PartnerMembership.objects.filter(partner=dataset.owner).select_related("user").first()
    if decider is None:
        return
    if not dataset.agreements.exists():
        access.agreement_publish(dataset=dataset, text=AGREEMENT_TEXT, actor=decider.user)
    if access.selected_startups_of(founder).filter(pk=startup.pk).exists():
        if not AccessGrant.objects.filter(dataset=dataset, startup=startup).exists():
            request = access.access_request(
                dataset=dataset,
                startup=startup,
                actor=founder,
                purpose="Démo : repérer les secteurs aux pertes les plus fortes pour y concentrer les formations.",
            )
            # The demo edition of 2017 is over: the access runs for three months from today instead.
            access.access_approve(request=request, actor=decider.user, ends_at=timezone.now() + timedelta(days=90))
        _pending_request(owner_member=decider, startup=startup, founder=founder)


SECOND_DATASET = "reclamations-surconsommation"


def _second_dataset(owner_member: PartnerMembership) -> Dataset:
    """A second restricted demo dataset of the same partner, for Kezakoo's request waiting for a decision (the
    complaints its application says it needs)."""
    dataset = Dataset.objects.filter(slug=SECOND_DATASET).first()
    if dataset is not None:
        return dataset
    titles = {
        "fr": "Réclamations pour surconsommation par quartier (démo)",
        "ar": "شكايات الاستهلاك المفرط حسب الحي (عرض)",
        "en": "Over-consumption complaints by district (demo)",
    }
    data = {
        "slug": SECOND_DATASET,
        "access_level": AccessLevel.RESTRICTED,
        "licence": "proprietary",
        **{f"title_{lang}": title for lang, title in titles.items()},
        **{f"description_{lang}": "" for lang in titles},
    }
    return dataset_create(owner=owner_member.partner, actor=owner_member.user, data=data)


def _pending_request(*, owner_member: PartnerMembership, startup: Startup, founder: object) -> None:
    dataset = _second_dataset(owner_member)
    if not dataset.agreements.exists():
        access.agreement_publish(dataset=dataset, text=AGREEMENT_TEXT, actor=owner_member.user)
    if not AccessRequest.objects.filter(dataset=dataset, startup=startup).exists():
        access.access_request(
            dataset=dataset,
            startup=startup,
            actor=founder,
            purpose="Démo : choisir les quartiers où former plombiers et habitants en premier.",
        )
