"""Writes on the startup side: creating and editing a startup, and its membership (rules in datacity.core)."""

from django.db import transaction
from django.utils.text import slugify

from datacity.audit.services import record
from datacity.core.models import MembershipRole
from datacity.core.organisations import Space

from .models import Startup, StartupInvitation, StartupMembership

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
def startup_create(*, startup: Startup, owner, request=None) -> Startup:
    """Save a new startup (built by the form, not yet saved) with `owner` as its first owner."""
    startup.slug = startup.slug or unique_slug(startup.name)
    startup.full_clean()
    startup.save()
    StartupMembership.objects.create(startup=startup, user=owner, role=MembershipRole.OWNER)
    record(action="startup.created", actor=owner, obj=startup, request=request)
    return startup


@transaction.atomic
def startup_update(*, startup: Startup, actor, changed: list[str], request=None) -> Startup:
    startup.full_clean()
    startup.save()
    record(action="startup.updated", actor=actor, obj=startup, request=request, fields=changed)
    return startup
