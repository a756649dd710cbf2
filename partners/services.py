"""Writes on the partner side: its public profile, membership (rules in datacity.core), its experimentation sites."""

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from datacity.audit.services import record
from datacity.core.organisations import Space
from datacity.core.services import assign, audited_save, jsonable

from .models import ExperimentationSite, Partner, PartnerInvitation, PartnerMembership, SiteAvailability

PARTNER_SPACE = Space(
    name="partner",
    organisation_field="partner",
    membership_model=PartnerMembership,
    invitation_model=PartnerInvitation,
    accept_url_name="partners:invitation_accept",
)

# What a partner's owners may change themselves; its name, kind and visibility stay with staff.
PROFILE_FIELDS = frozenset({"description_fr", "description_ar", "description_en", "website", "logo"})


@transaction.atomic
def partner_profile_update(*, partner: Partner, actor: Any, data: Mapping[str, Any]) -> Partner:
    """Change a partner's public profile; the audit entry says which fields changed, from what, to what."""
    unknown = set(data) - PROFILE_FIELDS
    if unknown:
        raise ValueError(f"not part of a partner's public profile: {sorted(unknown)}")
    assign(partner, data)
    audited_save(instance=partner, actor=actor, action="partner.profile_updated")
    return partner


# --- Experimentation sites ----------------------------------------------------------------------------------------

# What a partner's members write about a site; the partner and the slug are set by the service.
SITE_FIELDS = frozenset(
    {
        "name",
        "kind",
        *(f"{name}_{language}" for name in ("description", "constraints") for language in ("fr", "ar", "en")),
        "address",
        "geometry",
        "has_power",
        "has_connectivity",
        "has_sensors",
        "infrastructure_notes",
    }
)


def _unique_site_slug(site: ExperimentationSite) -> str:
    base = slugify(site.name)[:180] or "site"
    taken = set(
        ExperimentationSite.objects.filter(partner_id=site.partner_id, slug__startswith=base)
        .exclude(pk=site.pk)
        .values_list("slug", flat=True)
    )
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


@transaction.atomic
def site_save(*, site: ExperimentationSite, actor: Any) -> ExperimentationSite:
    """Validate and save a site (created or changed in memory): its geometry checked, its bounding box derived from
    it, a slug given at creation. Invalid geometry raises ValidationError on `geometry` and stores nothing."""
    try:
        site.set_bounding_box()
    except ValidationError as error:
        raise ValidationError({"geometry": error.error_list}) from error
    if not site.slug:
        site.slug = _unique_site_slug(site)
    audited_save(instance=site, actor=actor)
    return site


def _assign_site(site: ExperimentationSite, data: Mapping[str, Any]) -> None:
    unknown = set(data) - SITE_FIELDS
    if unknown:
        raise ValueError(f"not part of a site's description: {sorted(unknown)}")
    assign(site, data)


@transaction.atomic
def site_create(*, partner: Partner, actor: Any, data: Mapping[str, Any]) -> ExperimentationSite:
    site = ExperimentationSite(partner=partner)
    _assign_site(site, data)
    return site_save(site=site, actor=actor)


@transaction.atomic
def site_update(*, site: ExperimentationSite, actor: Any, data: Mapping[str, Any]) -> ExperimentationSite:
    _assign_site(site, data)
    return site_save(site=site, actor=actor)


@transaction.atomic
def site_availability_set(
    *, site: ExperimentationSite, actor: Any, windows: Iterable[tuple[date, date]]
) -> list[SiteAvailability]:
    """Replace the site's availability windows by `windows` (first day, last day), audited as one change.

    Approved bookings are not touched: a window removed later does not cancel them (the partner decides that).
    """
    wanted = sorted(set(windows))
    rows = [SiteAvailability(site=site, starts_on=start, ends_on=end) for start, end in wanted]
    for row in rows:
        row.full_clean(exclude=["site"])
    current = list(site.availability.order_by("starts_on").values_list("starts_on", "ends_on"))
    if current == wanted:
        return list(site.availability.all())
    site.availability.all().delete()
    SiteAvailability.objects.bulk_create(rows)
    record(
        action="experimentationsite.availability_set",
        actor=actor,
        obj=site,
        changes={"availability": {"from": jsonable(current), "to": jsonable(wanted)}},
    )
    return rows
