"""Writes on the startup side: creating and editing a startup, its selection in an edition, and its membership
(whose rules live in datacity.core.organisations)."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from datacity.audit.services import record
from datacity.core.models import MembershipRole
from datacity.core.organisations import Space
from datacity.core.services import assign, audited_delete, audited_save

from .models import Selection, Startup, StartupInvitation, StartupMembership

STARTUP_SPACE = Space(
    name="startup",
    organisation_field="startup",
    membership_model=StartupMembership,
    invitation_model=StartupInvitation,
    accept_url_name="startups:invitation_accept",
)


def unique_slug(name: str) -> str:
    base = slugify(name)[:180] or "startup"
    slug, n = base, 1
    while Startup.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def startup_create(*, actor: Any, data: Mapping[str, Any]) -> Startup:
    """Create a startup from its profile fields, with `actor` as its first owner."""
    startup = Startup()
    assign(startup, data)
    startup.slug = startup.slug or unique_slug(startup.name)
    audited_save(instance=startup, actor=actor)
    StartupMembership.objects.create(startup=startup, user=actor, role=MembershipRole.OWNER)
    record(action="startup.member_added", actor=actor, obj=startup, member=actor.email, role=MembershipRole.OWNER)
    return startup


@transaction.atomic
def startup_update(*, startup: Startup, actor: Any, data: Mapping[str, Any]) -> Startup:
    """Change a startup's profile fields; the audit entry says which changed, from what, to what."""
    assign(startup, data)
    audited_save(instance=startup, actor=actor)
    return startup


@transaction.atomic
def selection_save(*, selection: Selection, actor: Any) -> Selection:
    """Select a startup in an edition (for a challenge, with a sponsor), or change that selection."""
    audited_save(instance=selection, actor=actor)
    return selection


@transaction.atomic
def selection_delete(*, selection: Selection, actor: Any) -> None:
    audited_delete(instance=selection, actor=actor)
