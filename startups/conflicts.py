"""Conflicts of interest: the one rule of which startups a juror is linked to. A juror never sees or scores an
application of such a startup; every read and write of the jury goes through `conflicted_startups`."""

from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from .models import ConflictDeclaration, Startup, StartupMembership


def conflicted_startups(user: Any) -> QuerySet[Startup]:
    """The startups `user` is linked to: those they are a member of, those they declared (in any edition: the
    register is kept), and those bearing the name of an organisation they declared (case aside)."""
    if not user.is_authenticated:
        return Startup.objects.none()
    declarations = ConflictDeclaration.objects.filter(juror=user)
    names = declarations.exclude(organisation="").annotate(name=Lower("organisation")).values("name")
    return Startup.objects.annotate(lower_name=Lower("name")).filter(
        Q(pk__in=StartupMembership.objects.filter(user=user).values("startup_id"))
        | Q(pk__in=declarations.filter(startup__isnull=False).values("startup_id"))
        | Q(lower_name__in=names)
    )


def is_conflicted(user: Any, startup_id: int) -> bool:
    return conflicted_startups(user).filter(pk=startup_id).exists()
