"""The demo datasets' files: small CSV and GeoJSON files generated here, with invented figures (their change note
says so), uploaded through the same service as partners' pages. Idempotent: a dataset that has a file keeps it."""

import json
from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile

from datasets.distributions import distribution_add
from datasets.models import Dataset, Distribution

INVENTED = "Données inventées pour la démonstration, sans rapport avec des mesures réelles."

TRAM_STATIONS = (
    "Sidi Moumen",
    "Hay Mohammadi",
    "Casa Voyageurs",
    "Place Mohammed V",
    "Place des Nations Unies",
    "Abdelmoumen",
    "Facultés",
    "Hay Hassani",
    "Aïn Diab Plage",
)

# (sector, west, south, east, north): rough boxes over Casablanca's districts.
WATER_SECTORS = (
    ("Anfa", -7.67, 33.575, -7.625, 33.60),
    ("Maârif", -7.645, 33.565, -7.615, 33.585),
    ("Sidi Belyout", -7.625, 33.585, -7.600, 33.605),
    ("Hay Mohammadi", -7.575, 33.585, -7.540, 33.605),
    ("Aïn Sebaâ", -7.555, 33.595, -7.510, 33.625),
    ("Sidi Bernoussi", -7.515, 33.590, -7.470, 33.620),
)


def tram_ridership() -> bytes:
    """Boardings per station and hour on one working day, `;`-separated as a French-locale spreadsheet exports it."""
    rows = ["station;date;heure;montees;descentes"]
    for index, station in enumerate(TRAM_STATIONS):
        for hour in range(6, 23):
            rush = 3 if hour in (7, 8, 17, 18) else 1
            boardings = (120 + 37 * index + 11 * hour) * rush % 1900
            rows.append(f"{station};2026-03-10;{hour:02d}:00;{boardings};{(boardings * 7) // 8}")
    return ("\n".join(rows) + "\n").encode()


def water_sectors() -> bytes:
    """The distribution sectors as polygons, with invented volumes and loss rates."""
    features = []
    for index, (name, west, south, east, north) in enumerate(WATER_SECTORS):
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "secteur": name,
                    "volume_distribue_m3": 41_000 + 3_700 * index,
                    "taux_pertes_pct": round(14.5 + 2.25 * (index % 4), 2),
                    "note": "Chiffres inventés (démo)",
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1).encode()


def street_lights() -> bytes:
    """A few street lights along the Corniche as points."""
    features = [
        {
            "type": "Feature",
            "properties": {
                "identifiant": f"PL-{n:04d}",
                "technologie": "LED" if n % 3 else "sodium",
                "puissance_w": 70,
            },
            "geometry": {"type": "Point", "coordinates": [round(-7.690 + 0.003 * n, 5), round(33.592 + 0.0004 * n, 5)]},
        }
        for n in range(1, 25)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()


def waste_bins() -> bytes:
    rows = ["identifiant,arrondissement,latitude,longitude,volume_l"]
    districts = ("Anfa", "Maârif", "Sidi Belyout", "Aïn Chock")
    for n in range(1, 41):
        rows.append(
            f"CT-{n:04d},{districts[n % 4]},{33.57 + 0.001 * n:.5f},{-7.64 + 0.0012 * n:.5f},{660 if n % 2 else 1100}"
        )
    return ("\n".join(rows) + "\n").encode()


# slug: (file name, content)
FILES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "frequentation-stations-tram": ("frequentation-tram-2026-03-10.csv", tram_ridership),
    "comptage-eau-secteurs": ("secteurs-eau.geojson", water_sectors),
    "points-lumineux": ("points-lumineux-corniche.geojson", street_lights),
    "conteneurs-dechets": ("conteneurs-dechets.csv", waste_bins),
}


def load_files(*, actor: Any = None) -> int:
    """Give each demo dataset without a file its generated file; the number of files added."""
    datasets = Dataset.objects.in_bulk(list(FILES), field_name="slug")
    with_files = set(Distribution.objects.filter(dataset__in=datasets.values()).values_list("dataset_id", flat=True))
    added = 0
    for slug, (name, content) in FILES.items():
        dataset = datasets.get(slug)
        if dataset is None or dataset.pk in with_files:
            continue
        distribution_add(dataset=dataset, upload=ContentFile(content(), name=name), change_note=INVENTED, actor=actor)
        added += 1
    return added
