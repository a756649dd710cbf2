"""The demo datasets' DCAT-AP metadata (keywords in three languages, themes, contact point, coverage, update
frequency, dates, languages): invented, like the datasets, and written through the catalogue's service."""

from datetime import date
from typing import Any

from datasets.models import Dataset
from datasets.services import dataset_update

LANGUAGES = ("fr", "ar", "en")

# Keyed by the demo datasets' slugs (datacity/demo/content.py: DATASETS). Contact addresses use the reserved
# `.example` domain: nobody receives mail sent to them.
CATALOGUE: dict[str, dict[str, Any]] = {
    "frequentation-stations-tram": {
        "keywords": {
            "fr": "tramway, fréquentation, stations, mobilité",
            "ar": "ترام, عدد الركاب, محطات, تنقل",
            "en": "tram, ridership, stations, mobility",
        },
        "themes": ["TRAN", "REGI"],
        "contact_name": "Casa Tram – données (démo)",
        "contact_email": "donnees@casa-tram.example",
        "spatial_coverage": "Casablanca",
        "temporal_start": date(2016, 1, 1),
        "temporal_end": date(2016, 12, 31),
        "update_frequency": "HOURLY",
        "issued": date(2017, 3, 1),
        "modified": date(2017, 6, 1),
        "languages": ["FRA"],
    },
    "comptage-eau-secteurs": {
        "keywords": {
            "fr": "eau, secteurs, pertes, réseau",
            "ar": "ماء, قطاعات, ضياع, شبكة",
            "en": "water, sectors, losses, network",
        },
        "themes": ["ENVI", "ENER"],
        "contact_name": "Lydec – innovation (démo)",
        "contact_email": "innovation@lydec.example",
        "spatial_coverage": "Casablanca",
        "temporal_start": date(2015, 1, 1),
        "temporal_end": date(2016, 12, 31),
        "update_frequency": "DAILY",
        "issued": date(2017, 3, 1),
        "modified": date(2017, 3, 1),
        "languages": ["FRA"],
    },
    "points-lumineux": {
        "keywords": {
            "fr": "éclairage public, énergie, inventaire",
            "ar": "إنارة عمومية, طاقة, جرد",
            "en": "street lighting, energy, inventory",
        },
        "themes": ["ENER", "REGI"],
        "contact_name": "Lydec – éclairage public (démo)",
        "contact_email": "eclairage@lydec.example",
        "spatial_coverage": "Casablanca",
        "update_frequency": "ANNUAL",
        "issued": date(2017, 3, 1),
        "languages": ["ZXX"],
    },
    "conteneurs-dechets": {
        "keywords": {
            "fr": "déchets, propreté, conteneurs",
            "ar": "نفايات, نظافة, حاويات",
            "en": "waste, cleanliness, bins",
        },
        "themes": ["ENVI", "GOVE"],
        "contact_name": "Ville de Casablanca – données ouvertes (démo)",
        "contact_email": "opendata@casablanca.example",
        "spatial_coverage": "Casablanca",
        "update_frequency": "MONTHLY",
        "issued": date(2017, 3, 1),
        "languages": ["FRA", "ARA"],
    },
}


def load_catalogue(*, actor: Any = None) -> int:
    """Give the demo datasets that exist their catalogue metadata; returns how many changed. Idempotent: a second
    run changes nothing and writes no audit entry."""
    changed = 0
    datasets = Dataset.objects.in_bulk(list(CATALOGUE), field_name="slug")
    for slug, metadata in CATALOGUE.items():
        dataset = datasets.get(slug)
        if dataset is None:
            continue
        data = {key: value for key, value in metadata.items() if key != "keywords"}
        data.update({f"keywords_{language}": metadata["keywords"][language] for language in LANGUAGES})
        before = {name: getattr(dataset, name) for name in data}
        if before != data:
            dataset_update(dataset=dataset, actor=actor, data=data)
            changed += 1
    return changed
