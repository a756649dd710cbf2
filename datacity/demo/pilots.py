"""The running demo edition's selection: the demo startup (Kezakoo) applies to a challenge of the demo partner (Lydec)
during the edition's call, and staff select it with Lydec as sponsoring partner and publish the edition's
decisions at the end of its selection phase. The agreement, deliverables and indicators that follow are loaded by
`agreements.py`, `experiments.py` and `kpis.py`.

Idempotent: a second run changes nothing. Everything goes through the services founders and staff use (audited, the
confirmation and the decision notified), at the moments of the edition they belong to: the application is submitted
"during the call" and the decisions published "at the end of the selection", both counted from the day of loading
like the edition's phases (`content.PILOT_APPLIED_AT`, `content.PILOT_SELECTED_AT`).
"""

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model

from challenges.models import Challenge, Program
from datacity.demo import content
from partners.models import Partner
from startups import selection as decisions
from startups.models import Application, ApplicationStatus, Decision, DecisionStage, Startup
from startups.services import application_submit

REASON = "Démo : une équipe déjà sur le terrain, un plan de mesure réaliste."
FEEDBACK = "Démo : le jury a apprécié les modules en darija ; prévoyez un chantier témoin pour comparer."


def moment(program: Program, today: Any, offset: tuple[int, int, int, int]) -> datetime:
    """(days after `today`, hour, minute, second) as an instant, on the edition's wall clock."""
    days, hour, minute, second = offset
    return datetime.combine(today + timedelta(days=days), time(hour, minute, second), tzinfo=program.time_zone)


def _account(role: str) -> tuple[Any, str | None]:
    email, organisation = next((email, org) for email, _name, kind, org in content.DEMO_ACCOUNTS if kind == role)
    return get_user_model()._default_manager.filter(email=email).first(), organisation


def load_pilot_selection(program: Program, challenges: dict[str, Challenge], *, today: Any) -> None:
    """The demo startup's application and selection in the running edition (`today`: the day of loading, in the
    edition's zone). Nothing without the demo accounts: nobody to apply or to decide."""
    founder, startup_slug = _account("startup")
    partner_user, partner_slug = _account("partner")
    staff, _none = _account("staff")
    startup = Startup.objects.filter(slug=startup_slug).first()
    sponsor = Partner.objects.filter(slug=partner_slug).first()
    if founder is None or staff is None or partner_user is None or startup is None or sponsor is None:
        return
    entry = content.PILOT_APPLICATION
    challenge = challenges[entry["challenge"]]
    application = Application.objects.filter(startup=startup, challenge=challenge).first()
    if application is None:
        application = application_submit(
            startup=startup,
            challenge=challenge,
            actor=founder,
            data={
                **{field: entry[field] for field in ("solution", "data_use", "team", "stage")},
                "eligibility": {},
                "answers": {},
            },
            now=moment(program, today, content.PILOT_APPLIED_AT),
        )
    if application.status != ApplicationStatus.SUBMITTED:
        return  # Someone trying the demo took it back: it is left as they left it.
    decision = Decision.objects.filter(application=application).first()
    if decision is None or (decision.published_at is None and decision.stage != DecisionStage.SELECTED):
        decisions.decision_set(
            application=application,
            actor=staff,
            stage=DecisionStage.SELECTED,
            sponsor=sponsor,
            reason=REASON,
            feedback=FEEDBACK,
            share_feedback=True,
        )
    unpublished = Decision.objects.filter(application__challenge__program=program, published_at__isnull=True)
    if unpublished.exists():
        decisions.decisions_publish(program=program, actor=staff, now=moment(program, today, content.PILOT_SELECTED_AT))
