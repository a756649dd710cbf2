"""The demo's partnerships after the 2017 edition, and its follow-up questionnaires as if the clock had run.

The public record says what the 2017 edition's startups experimented, not what came after: both partnerships here are
invented for the demo (Kezakoo's pilot with LafargeHolcim unpublished, one other startup's contract published by both
parties, its notes saying it is invented). Rows are written directly rather than through `partnership_save`, which
needs a member or staff actor the demo may not have; the follow-up questionnaires likewise, marked sent on their due
date without a notice: going through `notify` would queue a mail per member for events of 2018 and 2019, a flood of
stale notices in the demo's outbox.

Idempotent: a second run changes nothing.
"""

from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone

from challenges.models import Program
from datacity.demo import content
from startups.models import FollowUpSurvey, Partnership, PartnershipStage, ProcurementRoute, Selection
from startups.partnerships import follow_up_dates

INVENTED = "Démo : inventé pour la démonstration, le dossier public ne dit rien de la suite."


def load_partnerships() -> None:
    program = Program.objects.filter(slug=content.PROGRAM["slug"]).select_related("demo_day").first()
    if program is None:
        return
    selections = list(Selection.objects.filter(program=program).select_related("startup", "sponsor").order_by("pk"))
    kezakoo = next((s for s in selections if s.startup.slug == "kezakoo"), None)
    if kezakoo is not None and kezakoo.sponsor is not None:
        # Invented: the record does not say what followed Kezakoo's experiment; a pilot, unpublished.
        Partnership.objects.get_or_create(
            startup=kezakoo.startup,
            partner=kezakoo.sponsor,
            selection=kezakoo,
            defaults={
                "stage": PartnershipStage.PILOT,
                "startup_agrees_public": False,
                "partner_agrees_public": False,
                "notes": INVENTED,
            },
        )
    other = next((s for s in selections if s is not kezakoo and s.sponsor is not None), None)
    if other is not None:
        signed = min(program.ends_on.replace(year=program.ends_on.year + 1), timezone.localdate())
        Partnership.objects.get_or_create(
            startup=other.startup,
            partner=other.sponsor,
            selection=other,
            defaults={
                "stage": PartnershipStage.CONTRACT,
                "value": Decimal("480000.00"),
                "procurement_route": ProcurementRoute.NEGOTIATED,
                "started_on": program.ends_on,
                "signed_on": signed,
                "startup_agrees_public": True,
                "partner_agrees_public": True,
                "notes": INVENTED,
            },
        )
    today = timezone.localdate(timezone=program.time_zone)
    due = {months: day for months, day in follow_up_dates(program).items() if day <= today}
    FollowUpSurvey.objects.bulk_create(
        [
            FollowUpSurvey(selection=selection, months=months, due_on=day, sent_at=_morning(day, program))
            for selection in selections
            for months, day in due.items()
        ],
        ignore_conflicts=True,
    )


def _morning(day: date, program: Program) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9)), program.time_zone)
