"""The demo's experimentation in the current demo edition: three milestones (kickoff, mid-term, final, dated from
the edition's phases) and, when the demo startup is selected there, its kickoff deliverable submitted and commented
by its sponsoring partner. Texts are invented for the demo.

Idempotent: a second run changes nothing. The deliverable and the comment go through the services people use.
"""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model

from challenges.models import Milestone, MilestoneKind, Program
from datacity.demo import content
from partners.models import PartnerMembership
from startups import deliverables
from startups.models import Deliverable, Selection, StartupMembership

MILESTONES = [
    (
        MilestoneKind.KICKOFF,
        {"fr": "Lancement de l'expérimentation", "ar": "انطلاق التجربة", "en": "Experiment kickoff"},
        0.1,
    ),
    (MilestoneKind.MID_TERM, {"fr": "Revue à mi-parcours", "ar": "مراجعة منتصف المدة", "en": "Mid-term review"}, 0.5),
    (MilestoneKind.FINAL, {"fr": "Revue finale", "ar": "المراجعة النهائية", "en": "Final review"}, 0.95),
]


def _experiment_window(program: Program) -> tuple[datetime, datetime]:
    """When the experiments run: the edition's last phase, else the second half of the edition."""
    last = program.phases.order_by("-ends_at").first()
    if last is not None:
        return last.starts_at, last.ends_at
    start = datetime.combine(program.starts_on, time(12), tzinfo=program.time_zone)
    end = datetime.combine(program.ends_on, time(12), tzinfo=program.time_zone)
    return start + (end - start) / 2, end


def load_deliverables() -> Selection | None:
    """The milestones of the current demo edition and the demo startup's kickoff deliverable; the demo startup's
    selection, or None when it is not selected in that edition (nothing is then delivered)."""
    program = Program.objects.filter(slug=content.CURRENT_PROGRAM["slug"]).first()
    if program is None:
        return None
    start, end = _experiment_window(program)
    milestones = {}
    for kind, titles, share in MILESTONES:
        due = start + timedelta(seconds=(end - start).total_seconds() * share)
        milestone = Milestone.objects.filter(program=program, kind=kind).first()
        if milestone is None:
            milestone = Milestone.objects.create(
                program=program, kind=kind, due_at=due, **{f"title_{code}": text for code, text in titles.items()}
            )
        milestones[kind] = milestone
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
        selection=selection,
        milestone=kickoff,
        actor=founder,
        summary="Plan d'expérimentation validé avec l'équipe du partenaire ; capteurs installés sur le site pilote.",
        links=["https://example.org/demo/plan-experimentation"],
        video_url="",
    )
    reviewer = users.filter(pk__in=PartnerMembership.objects.filter(partner=selection.sponsor).values("user")).first()
    if reviewer is not None:
        deliverables.deliverable_comment(
            deliverable=version.deliverable,
            actor=reviewer,
            text="Merci : pensez à joindre les premières mesures à la revue à mi-parcours.",
        )
    return selection
