"""The 2017 edition's public outcome: its demo day (published), the order in which its selected startups presented,
a prototype summary and an outcome for each, and its results page published.

From the record: the edition's demo day took place in autumn 2017. Everything else is invented for the demo and says
so: the date and hours (within the edition's "Evaluation and demo day" phase), the place, the programme, the order,
the summaries (every text starts with "Démo" and ends with "(inventé)") and the outcomes. No indicator or measurement
is written here (the demo's KPI protocol is Kezakoo's, see `kpis.py`).

Idempotent: a second run changes nothing. Writes go through the services the admin uses (audited), as the system.
"""

from datetime import datetime
from typing import Any

from challenges.models import DemoDay, Program
from datacity.core.services import audited_save
from datacity.demo import content
from startups.models import Outcome, Selection
from startups.services import selection_save

LANGUAGES = ("fr", "ar", "en")

# Local wall-clock times (year, month, day, hour, minute) in the edition's time zone; the day is invented.
DEMO_DAY_STARTS: tuple[int, int, int, int, int] = (2017, 10, 12, 14, 0)
DEMO_DAY_ENDS: tuple[int, int, int, int, int] = (2017, 10, 12, 19, 0)
DEMO_DAY: dict[str, Any] = {
    "place": {
        "fr": "Technopark Casablanca (lieu inventé pour la démo)",
        "ar": "تكنوبارك الدار البيضاء (مكان مختلق للعرض التوضيحي)",
        "en": "Technopark Casablanca (place invented for the demo)",
    },
    "address": "Démo : adresse inventée, Casablanca",
    "programme": {
        "fr": "Démo : 14h00 accueil (inventé)\n"
        "Démo : 14h30 mot de la Ville et des partenaires (inventé)\n"
        "Démo : 15h00 présentations des startups (inventé)\n"
        "Démo : 18h00 échanges autour des prototypes (inventé)",
        "ar": "عرض توضيحي: 14:00 الاستقبال (مختلق)\n"
        "عرض توضيحي: 14:30 كلمة المدينة والشركاء (مختلق)\n"
        "عرض توضيحي: 15:00 عروض الشركات الناشئة (مختلق)\n"
        "عرض توضيحي: 18:00 نقاش حول النماذج الأولية (مختلق)",
        "en": "Demo: 2pm welcome (invented)\n"
        "Demo: 2.30pm words from the city and the partners (invented)\n"
        "Demo: 3pm the startups present (invented)\n"
        "Demo: 6pm conversations around the prototypes (invented)",
    },
}

# startup slug -> (outcome, prototype summary FR/AR/EN), in the order of presentation; all invented for the demo.
RESULTS: list[tuple[str, str, dict[str, str]]] = [
    (
        "kezakoo",
        Outcome.TESTED,
        {
            "fr": "Démo : modules de formation vidéo testés avec des applicateurs sur chantier (inventé)",
            "ar": "عرض توضيحي: وحدات تكوين بالفيديو جُرّبت مع عمال البناء في الأوراش (مختلق)",
            "en": "Demo: video training modules tested with applicators on building sites (invented)",
        },
    ),
    (
        "tramflow-fictive",
        Outcome.PILOT,
        {
            "fr": "Démo : prévision d'affluence affichée en station pendant six semaines (inventé)",
            "ar": "عرض توضيحي: عرض توقعات الازدحام في المحطات لمدة ستة أسابيع (مختلق)",
            "en": "Demo: crowding forecasts shown at stations for six weeks (invented)",
        },
    ),
    (
        "aquasense-fictive",
        Outcome.TESTED,
        {
            "fr": "Démo : détection de fuites essayée sur un secteur du réseau d'eau (inventé)",
            "ar": "عرض توضيحي: تجربة كشف التسربات في قطاع من شبكة الماء (مختلق)",
            "en": "Demo: leak detection tried on one sector of the water network (invented)",
        },
    ),
    (
        "binsmart-fictive",
        Outcome.IN_PROGRESS,
        {
            "fr": "Démo : capteurs de remplissage posés sur une tournée de collecte (inventé)",
            "ar": "عرض توضيحي: تركيب مستشعرات الامتلاء على جولة جمع واحدة (مختلق)",
            "en": "Demo: fill-level sensors fitted on one collection round (invented)",
        },
    ),
    (
        "pneucheck-fictive",
        Outcome.TESTED,
        {
            "fr": "Démo : contrôle photo des pneus essayé sur une flotte de véhicules municipaux (inventé)",
            "ar": "عرض توضيحي: تجربة فحص الإطارات بالصور على أسطول مركبات جماعية (مختلق)",
            "en": "Demo: photo tyre checks tried on a fleet of municipal vehicles (invented)",
        },
    ),
    (
        "darnet-fictive",
        Outcome.STOPPED,
        {
            "fr": "Démo : réseau de capteurs de quartier arrêté après les premiers essais (inventé)",
            "ar": "عرض توضيحي: توقف شبكة مستشعرات الحي بعد التجارب الأولى (مختلق)",
            "en": "Demo: neighbourhood sensor network stopped after the first trials (invented)",
        },
    ),
    (
        "lumina-fictive",
        Outcome.TESTED,
        {
            "fr": "Démo : éclairage adaptatif essayé sur deux rues (inventé)",
            "ar": "عرض توضيحي: تجربة الإنارة المتكيفة في شارعين (مختلق)",
            "en": "Demo: adaptive lighting tried on two streets (invented)",
        },
    ),
    (
        "ecoroute-fictive",
        Outcome.CONTRACT,
        {
            "fr": "Démo : calculateur d'itinéraires bas carbone intégré à l'application du réseau (inventé)",
            "ar": "عرض توضيحي: دمج حاسبة المسارات منخفضة الكربون في تطبيق الشبكة (مختلق)",
            "en": "Demo: low-carbon journey planner built into the network's app (invented)",
        },
    ),
]


def _translated(field: str, values: dict[str, str]) -> dict[str, str]:
    return {f"{field}_{language}": values.get(language, "") for language in LANGUAGES}


def _set(instance: Any, values: dict[str, Any]) -> bool:
    """Set `values` on `instance`; whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def load_results() -> None:
    program = Program.objects.filter(slug=content.PROGRAM["slug"]).first()
    if program is None:
        return
    zone = program.time_zone
    demo_day = DemoDay.objects.filter(program=program).first() or DemoDay(program=program)
    wanted: dict[str, Any] = {
        "starts_at": datetime(*DEMO_DAY_STARTS, tzinfo=zone),
        "ends_at": datetime(*DEMO_DAY_ENDS, tzinfo=zone),
        "address": DEMO_DAY["address"],
        "is_published": True,
        **_translated("place", DEMO_DAY["place"]),
        **_translated("programme", DEMO_DAY["programme"]),
    }
    if _set(demo_day, wanted) or demo_day.pk is None:
        audited_save(instance=demo_day, actor=None)

    selections = {selection.startup.slug: selection for selection in program.selections.select_related("startup")}
    for order, (slug, outcome, summary) in enumerate(RESULTS, start=1):
        selection: Selection | None = selections.get(slug)
        if selection is None:
            continue
        values = {
            "outcome": outcome,
            "presents_at_demo_day": True,
            "demo_day_order": order,
            **_translated("prototype_summary", summary),
        }
        if _set(selection, values):
            selection_save(selection=selection, actor=None)

    if not program.results_published:
        program.results_published = True
        audited_save(instance=program, actor=None)
