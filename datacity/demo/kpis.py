"""The demo experiment's KPI protocol: two indicators of the demo startup's selection in the running demo edition
(where it is in its prototyping phase) and weekly measurements of each, the last this week. Texts are invented for
the demo.

Idempotent: a second run changes nothing. Indicators and measurements go through the services the experiment's page
uses (audited, the status computed as in real use), as the startup's demo founder when it belongs to the startup,
else as the demo staff account; without demo accounts nothing is loaded (a measurement needs who recorded it).
"""

from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from datacity.demo import content
from startups import kpis
from startups.models import Indicator, Selection, StartupMembership

# (name, unit, baseline, target, method, weekly values, oldest first): invented for the demo.
INDICATORS: list[tuple[str, str, str, str, str, list[str]]] = [
    (
        "Démo : installateurs formés par semaine",
        "personnes/semaine",
        "0",
        "40",
        "Démo : feuilles d'émargement des sessions de formation sur chantier, comptées chaque vendredi.",
        ["4", "6", "14", "19", "22", "27", "31", "34"],
    ),
    (
        "Démo : défauts relevés par branchement contrôlé",
        "défauts/branchement",
        "12",
        "6",
        "Démo : grille de contrôle qualité du partenaire, appliquée à cinq branchements tirés au sort chaque semaine.",
        ["12,4", "11,5", "9", "8,1", "7,2", "5,8"],
    ),
]
SOURCE = "Démo : relevé hebdomadaire de l'équipe"


def _user(email: str) -> Any:
    return get_user_model()._default_manager.filter(email=email).first()


def demo_selection() -> Selection | None:
    """The demo startup's selection in the running demo edition (None without the demo accounts: nobody applied)."""
    startup_slug = next(org for _email, _name, role, org in content.DEMO_ACCOUNTS if role == "startup")
    selections = Selection.objects.select_related("program", "startup")
    return selections.filter(program__slug=content.PILOT_PROGRAM["slug"], startup__slug=startup_slug).first()


def _weeks(selection: Selection, count: int) -> list[date]:
    """`count` weekly dates, the last this week (or the edition's last day, when it is over), none before its
    first day."""
    program = selection.program
    last = min(timezone.localdate(timezone=program.time_zone), program.ends_on)
    return [max(last - timedelta(weeks=count - 1 - week), program.starts_on) for week in range(count)]


def load_kpis() -> None:
    selection = demo_selection()
    if selection is None:
        return
    accounts = {role: email for email, _name, role, _org in content.DEMO_ACCOUNTS}
    founder, staff = _user(accounts["startup"]), _user(accounts["staff"])
    is_member = founder and StartupMembership.objects.filter(user=founder, startup=selection.startup).exists()
    actor = founder if is_member else staff
    if actor is None:
        return
    for order, (name, unit, baseline, target, method, values) in enumerate(INDICATORS):
        if Indicator.objects.filter(selection=selection, name=name).exists():
            continue
        indicator = kpis.indicator_save(
            selection=selection,
            actor=actor,
            data={"name": name, "unit": unit, "baseline": baseline, "target": target, "method": method, "order": order},
        )
        for measured_on, value in zip(_weeks(selection, len(values)), values, strict=True):
            kpis.measurement_add(
                indicator=indicator,
                actor=actor,
                value=value,  # typed as people type them: "11,5"
                unit=unit,
                measured_on=measured_on,
                source=SOURCE,
            )
