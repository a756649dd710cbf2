"""The demo's experimentation in the running demo edition: three milestones (kickoff, mid-term, final, dated within
the edition's prototyping phase) and, when the demo startup is selected there, its kickoff deliverable submitted by
its founder and commented by its sponsoring partner. Texts are invented for the demo.

Idempotent: a second run changes nothing. The milestones are saved through the audited save the admin uses, and
follow the edition when a run on a later day moves it; the deliverable and the comment go through the services
people use, once.
"""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model

from challenges.models import Milestone, MilestoneKind, PhaseKind, Program
from datacity.core.services import audited_save
from datacity.demo import content
from partners.models import PartnerMembership
from startups import deliverables
from startups.models import Deliverable, Selection, StartupMembership

# (kind, titles, what is expected, days after the prototyping phase's first day): invented for the demo. With the
# running edition's phases, the kickoff is two months past on the day of loading, the mid-term review a week ahead.
MILESTONES = [
    (
        MilestoneKind.KICKOFF,
        {"fr": "Lancement de l'expérimentation", "ar": "انطلاق التجربة", "en": "Experiment kickoff"},
        {
            "fr": "Démo : le plan d'expérimentation validé avec le partenaire et le site pilote équipé.",
            "ar": "عرض توضيحي: خطة التجريب مصادق عليها مع الشريك والموقع التجريبي مجهز.",
            "en": "Demo: the experimentation plan agreed with the partner and the pilot site equipped.",
        },
        15,
    ),
    (
        MilestoneKind.MID_TERM,
        {"fr": "Revue à mi-parcours", "ar": "مراجعة منتصف المدة", "en": "Mid-term review"},
        {
            "fr": "Démo : les premières mesures des indicateurs et ce qu'elles disent.",
            "ar": "عرض توضيحي: القياسات الأولى للمؤشرات وما تكشفه.",
            "en": "Demo: the indicators' first measurements and what they show.",
        },
        82,
    ),
    (
        MilestoneKind.FINAL,
        {"fr": "Revue finale", "ar": "المراجعة النهائية", "en": "Final review"},
        {
            "fr": "Démo : le bilan de l'expérimentation, chiffré, et la suite proposée.",
            "ar": "عرض توضيحي: حصيلة التجريب بالأرقام والخطوات المقترحة بعدها.",
            "en": "Demo: the experimentation's results, in figures, and the proposed next steps.",
        },
        130,
    ),
]
DUE_TIME = time(18)

SUMMARY = (
    "Démo : plan d'expérimentation validé avec l'équipe du partenaire ; trois modules vidéo tournés sur le chantier "
    "pilote."
)
LINKS = ["https://example.org/demo/plan-experimentation"]
COMMENT = "Démo : merci ; pensez à joindre les premières mesures à la revue à mi-parcours."


def _due(program: Program, days: int) -> datetime:
    """`days` after the first day of the edition's prototyping phase (else of the edition), at DUE_TIME on its wall
    clock: calendar days, never a duration added across a change of the clock."""
    prototyping = program.phases.filter(kind=PhaseKind.PROTOTYPING).order_by("starts_at").first()
    first = prototyping.starts_at.astimezone(program.time_zone).date() if prototyping else program.starts_on
    return datetime.combine(first + timedelta(days=days), DUE_TIME, tzinfo=program.time_zone)


def _milestones(program: Program) -> dict[str, Milestone]:
    milestones: dict[str, Milestone] = {}
    for kind, titles, descriptions, days in MILESTONES:
        wanted = {
            "due_at": _due(program, days),
            **{f"title_{code}": text for code, text in titles.items()},
            **{f"description_{code}": text for code, text in descriptions.items()},
        }
        milestone = Milestone.objects.filter(program=program, kind=kind).first()
        milestone = milestone or Milestone(program=program, kind=kind)
        changed = [name for name, value in wanted.items() if getattr(milestone, name) != value]
        if milestone.pk is None or changed:
            for name in changed:
                setattr(milestone, name, wanted[name])
            audited_save(instance=milestone, actor=None)
        milestones[kind] = milestone
    return milestones


def load_deliverables() -> Selection | None:
    """The milestones of the running demo edition and the demo startup's kickoff deliverable; the demo startup's
    selection, or None when it is not selected in that edition (nothing is then delivered)."""
    program = Program.objects.filter(slug=content.PILOT_PROGRAM["slug"]).first()
    if program is None:
        return None
    milestones = _milestones(program)
    founder_slug = next(org for _email, _name, role, org in content.DEMO_ACCOUNTS if role == "startup")
    selection = Selection.objects.filter(program=program, startup__slug=founder_slug).select_related("sponsor").first()
    if selection is None:
        return None
    kickoff = milestones[MilestoneKind.KICKOFF]
    if Deliverable.objects.filter(selection=selection, milestone=kickoff).exists():
        return selection
    users = get_user_model()._default_manager
    founder = users.filter(pk__in=StartupMembership.objects.filter(startup=selection.startup).values("user")).first()
    if founder is None:
        return selection
    version = deliverables.deliverable_submit(
        selection=selection, milestone=kickoff, actor=founder, summary=SUMMARY, links=LINKS, video_url=""
    )
    reviewer = users.filter(pk__in=PartnerMembership.objects.filter(partner=selection.sponsor).values("user")).first()
    if reviewer is not None:
        deliverables.deliverable_comment(deliverable=version.deliverable, actor=reviewer, text=COMMENT)
    return selection
