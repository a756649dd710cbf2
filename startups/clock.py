"""The startups' side of the program clock: which founders hear of a phase, and the reminder to submit a draft
(see challenges.clock)."""

from django.contrib.auth import get_user_model
from django.db import models

from challenges.clock import audience, reminder
from challenges.models import Phase, PhaseKind

from . import notices
from .models import Application, ApplicationStatus, Selection, StartupMembership


def members_of(startups: models.QuerySet) -> models.QuerySet:
    members = StartupMembership.objects.filter(startup__in=startups).values("user_id")
    return get_user_model()._default_manager.filter(pk__in=members)


@audience(PhaseKind.CO_CONSTRUCTION, PhaseKind.PROTOTYPING, PhaseKind.DEMO_DAY, PhaseKind.FOLLOW_UP)
def selected_startups(phase: Phase) -> models.QuerySet:
    """From co-construction on, the members of the startups selected in the edition."""
    return members_of(Selection.objects.filter(program=phase.program_id).values("startup_id"))


@audience(PhaseKind.CALL_FOR_APPLICATIONS, PhaseKind.SELECTION)
def applicants(phase: Phase) -> models.QuerySet:
    """The members of startups with an application to the edition (a draft counts: the call's close concerns them
    most), withdrawn ones aside."""
    applying = Application.objects.filter(challenge__program=phase.program_id).exclude(
        status=ApplicationStatus.WITHDRAWN
    )
    return members_of(applying.values("startup_id"))


@reminder("applications-drafts", phase_kind=PhaseKind.CALL_FOR_APPLICATIONS, kind=notices.DRAFT_REMINDER)
def startups_with_a_draft(phase: Phase) -> models.QuerySet:
    """Members of startups holding an unsubmitted draft: a draft submitted before a reminder gets no reminder."""
    drafts = Application.objects.filter(challenge__program=phase.program_id, status=ApplicationStatus.DRAFT)
    return members_of(drafts.values("startup_id"))
