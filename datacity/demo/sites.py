"""The demo's experimentation sites in Casablanca (a tram line, a district, a building site) and the demo startup's
booking of one of them. Shapes, infrastructure and availability are invented for the demo, and say so; each site's
photo is a generated illustration whose caption says so.

Idempotent: a second run changes nothing (the availability runs over whole calendar years, so it stays the same
within a year); everything is written through the services partners and startups use, so it is audited and the
booking's notice reaches the partner.
"""

import io
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from datacity.demo import content
from partners import services
from partners.models import ExperimentationSite, Partner, SiteKind
from startups.bookings import booking_request
from startups.models import SiteBooking, Startup

INVENTED = {
    "fr": "Démo : tracé, équipements et disponibilités inventés pour la démonstration.",
    "ar": "عرض توضيحي: المسار والتجهيزات والتوفر خيالية لأغراض العرض.",
    "en": "Demo: shape, equipment and availability invented for the demonstration.",
}

# partner slug, site name, kind, address, geometry, power, connectivity, sensors, description (fr, ar, en)
SITES: list[tuple[str, str, str, str, dict[str, Any], bool, bool, bool, dict[str, str]]] = [
    (
        "casa-tram",
        "Tramway T1 – Sidi Moumen / Place des Nations Unies",
        SiteKind.TRAM_LINE,
        "Ligne T1, Casablanca",
        {
            "type": "LineString",
            "coordinates": [
                [-7.5235, 33.5835],
                [-7.5480, 33.5840],
                [-7.5720, 33.5880],
                [-7.5950, 33.5925],
                [-7.6105, 33.5960],
                [-7.6180, 33.5975],
            ],
        },
        True,
        True,
        False,
        {
            "fr": "Stations et rames de la ligne T1 ouvertes aux tests de comptage et d'information voyageurs.",
            "ar": "محطات وعربات الخط T1 مفتوحة لتجارب العد وإعلام المسافرين.",
            "en": "Stations and trams of line T1 open to passenger counting and information tests.",
        },
    ),
    (
        "ville-de-casablanca",
        "Quartier Maârif",
        SiteKind.DISTRICT,
        "Maârif, Casablanca",
        {
            "type": "Polygon",
            "coordinates": [
                [[-7.6440, 33.5790], [-7.6280, 33.5790], [-7.6280, 33.5920], [-7.6440, 33.5920], [-7.6440, 33.5790]]
            ],
        },
        True,
        True,
        True,
        {
            "fr": "Un quartier dense où la ville ouvre ses rues, son mobilier urbain et son éclairage aux prototypes.",
            "ar": "حي كثيف تفتح فيه المدينة شوارعها وأثاثها الحضري وإنارتها للنماذج الأولية.",
            "en": "A dense district where the city opens its streets, street furniture and lighting to prototypes.",
        },
    ),
    (
        "lydec",
        "Chantier de renouvellement du réseau d'eau – Aïn Sebaâ",
        SiteKind.BUILDING,
        "Aïn Sebaâ, Casablanca",
        {"type": "Point", "coordinates": [-7.5330, 33.6030]},
        True,
        False,
        True,
        {
            "fr": "Un chantier de pose de canalisations où tester capteurs de fuites et suivi de chantier.",
            "ar": "ورش لمد القنوات لاختبار أجهزة استشعار التسربات وتتبع الأشغال.",
            "en": "A pipe-laying site to test leak sensors and site monitoring.",
        },
    ),
]

CONSTRAINTS = {
    "fr": "Démo : accompagnement par un agent du partenaire, équipements de sécurité obligatoires, assurance requise.",
    "ar": "عرض توضيحي: مرافقة من طرف عون الشريك، معدات السلامة إلزامية، التأمين مطلوب.",
    "en": "Demo: escorted by a partner's agent, safety equipment mandatory, insurance required.",
}


# The colour of each demo site's illustration, by partner slug; the caption says it is no photo of the place.
ILLUSTRATION_COLOURS = {"casa-tram": (0, 120, 170), "ville-de-casablanca": (200, 120, 40), "lydec": (40, 150, 90)}
ILLUSTRATION_CAPTION = "Démo : illustration générée (un rectangle de couleur), pas une photo du site {name}."


def illustration(colour: tuple[int, int, int]) -> SimpleUploadedFile:
    """A small PNG made here, a plain coloured rectangle: the demo ships no photos of real places."""
    buffer = io.BytesIO()
    Image.new("RGB", (480, 320), colour).save(buffer, format="PNG")
    return SimpleUploadedFile("illustration.png", buffer.getvalue(), content_type="image/png")


def _translated(field: str, values: dict[str, str]) -> dict[str, str]:
    return {f"{field}_{language}": values.get(language, "") for language in ("fr", "ar", "en")}


def load_sites(*, now: datetime | None = None) -> dict[str, ExperimentationSite]:
    """The demo's sites, by partner slug (partners missing from the database are skipped), and the demo founder's
    booking request of the building site when the demo accounts exist."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    windows = [(date(today.year, 1, 1), date(today.year + 1, 12, 31))]
    partners = Partner.objects.in_bulk([entry[0] for entry in SITES], field_name="slug")
    sites = {}
    for slug, name, kind, address, geometry, power, connectivity, sensors, description in SITES:
        if slug not in partners:
            continue
        data = {
            "name": name,
            "kind": kind,
            "address": address,
            "geometry": geometry,
            "has_power": power,
            "has_connectivity": connectivity,
            "has_sensors": sensors,
            "infrastructure_notes": INVENTED["fr"],
            **_translated("description", {key: f"{text} {INVENTED[key]}" for key, text in description.items()}),
            **_translated("constraints", CONSTRAINTS),
        }
        site = ExperimentationSite.objects.filter(partner=partners[slug], name=name).first()
        if site is None:
            site = services.site_create(partner=partners[slug], actor=None, data=data)
        elif any(getattr(site, field) != value for field, value in data.items()):
            site = services.site_update(site=site, actor=None, data=data)
        services.site_availability_set(site=site, actor=None, windows=windows)
        if not site.photos.exists():
            services.site_photo_add(
                site=site,
                actor=None,
                image=illustration(ILLUSTRATION_COLOURS.get(slug, (90, 90, 90))),
                caption=ILLUSTRATION_CAPTION.format(name=name),
            )
        sites[slug] = site
    _load_booking(sites.get("lydec"), now=now)
    return sites


def _load_booking(site: ExperimentationSite | None, *, now: datetime) -> None:
    email, startup_slug = next((email, slug) for email, _name, role, slug in content.DEMO_ACCOUNTS if role == "startup")
    founder = get_user_model()._default_manager.filter(email=email).first()
    startup = Startup.objects.filter(slug=startup_slug).first()
    if site is None or founder is None or startup is None:
        return
    if SiteBooking.objects.filter(site=site, startup=startup).exists():
        return
    day = timezone.localdate(now) + timedelta(days=14)
    zone = timezone.get_default_timezone()
    booking_request(
        site=site,
        startup=startup,
        actor=founder,
        starts_at=datetime.combine(day, time(9), tzinfo=zone),
        ends_at=datetime.combine(day + timedelta(days=2), time(17), tzinfo=zone),
        purpose="Démo : tester trois capteurs de fuite sur les canalisations neuves avant leur mise en eau.",
    )
