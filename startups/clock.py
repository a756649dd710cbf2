"""The startups' side of the program clock: which founders hear of a phase (see challenges.clock)."""

from django.contrib.auth import get_user_model
from django.db import models

from challenges.clock import audience
from challenges.models import Phase, PhaseKind

from .models import Selection


@audience(PhaseKind.CO_CONSTRUCTION, PhaseKind.PROTOTYPING, PhaseKind.DEMO_DAY, PhaseKind.FOLLOW_UP)
def selected_startups(phase: Phase) -> models.QuerySet:
    """From co-construction on, the members of the startups selected in the edition."""
    selected = Selection.objects.filter(program=phase.program_id).values("startup")
    return get_user_model()._default_manager.filter(startupmembership__startup__in=selected)
