"""Writes on the partner side: its public profile, membership (rules in datacity.core), its experimentation sites."""

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.images import get_image_dimensions
from django.db import models, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from datacity.audit.services import record
from datacity.core.organisations import Space
from datacity.core.services import assign, audited_delete, audited_save, jsonable
from datacity.core.uploads import JPEG, PNG, WEBP, FileType, check_upload, clean_filename

from .models import ExperimentationSite, Partner, PartnerInvitation, PartnerMembership, SiteAvailability, SitePhoto

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


# --- Photos of experimentation sites ------------------------------------------------------------------------------

SITE_PHOTO_TYPES = (PNG, JPEG, WEBP)


def check_site_photo(image: Any) -> FileType:
    """The type an image's bytes prove; a ValidationError if it is over SITE_PHOTO_MAX_BYTES or not PNG, JPEG or
    WebP. Called before anything is stored, by the form (for its message) and by the service again."""
    return check_upload(image, max_bytes=settings.SITE_PHOTO_MAX_BYTES, types=SITE_PHOTO_TYPES)


@transaction.atomic
def site_photo_add(*, site: ExperimentationSite, actor: Any, image: Any, caption: str) -> SitePhoto:
    """Add a photo at the end of the site's photos, at most SITE_PHOTOS_PER_SITE of them. The image is checked from
    its bytes and stored under a key the server makes; a refused image raises ValidationError on `image` and
    nothing is stored."""
    try:
        kind = check_site_photo(image)
        # The right first bytes are not yet a picture: its size must be readable too (it is stored with it).
        if not all(get_image_dimensions(image)):
            raise ValidationError(
                _("“%(name)s” cannot be read as an image.") % {"name": clean_filename(image.name)},
                code="invalid_image",
            )
    except ValidationError as error:
        raise ValidationError({"image": error.error_list}) from error
    # The site's row is locked so that two uploads at once cannot pass the limit together.
    ExperimentationSite.objects.select_for_update().filter(pk=site.pk).first()
    photos = SitePhoto.objects.filter(site=site)
    limit = settings.SITE_PHOTOS_PER_SITE
    if photos.count() >= limit:
        raise ValidationError(
            ngettext(
                "A site has %(count)d photo at most: remove one before adding another.",
                "A site has %(count)d photos at most: remove one before adding another.",
                limit,
            )
            % {"count": limit},
            code="too_many_photos",
        )
    last = photos.aggregate(last=models.Max("position"))["last"]
    image.seek(0)
    photo = SitePhoto(
        site=site,
        caption=caption,
        position=0 if last is None else last + 1,
        # Named after the type its bytes proved, never after the sender's file name.
        image=File(image, name=f"photo{kind.extensions[0]}"),
    )
    audited_save(instance=photo, actor=actor)
    return photo


@transaction.atomic
def site_photo_update(*, photo: SitePhoto, actor: Any, caption: str, position: int | None = None) -> SitePhoto:
    """Change a photo's caption (and its place among the site's photos); the image itself is never replaced: a new
    image is a new photo."""
    photo.caption = caption
    if position is not None:
        photo.position = position
    audited_save(instance=photo, actor=actor)
    return photo


@transaction.atomic
def site_photo_remove(*, photo: SitePhoto, actor: Any) -> None:
    """Remove a photo; its stored file is deleted once the removal is committed (django-cleanup; a rollback keeps
    it)."""
    audited_delete(instance=photo, actor=actor)


@transaction.atomic
def site_delete(*, site: ExperimentationSite, actor: Any) -> None:
    """Delete a site with its availability and photos; the photos' stored files are deleted once the deletion is
    committed (django-cleanup, for cascaded rows too; a rollback keeps them)."""
    audited_delete(instance=site, actor=actor)
