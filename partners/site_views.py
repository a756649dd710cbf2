"""Experimentation sites: the public list with its map and GeoJSON feed, and the pages where a partner's members
describe their sites and when they are available."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from datacity.core.access import visible_or_404
from datacity.pagecache import public_page

from . import permissions, services
from .forms import AvailabilityFormSet, ExperimentationSiteForm, SitePhotoForm, availability_windows
from .models import ExperimentationSite, SitePhoto


def site_feature(site: ExperimentationSite) -> dict:
    """A site as a GeoJSON Feature: what the public list shows, nothing more (no people, no bookings)."""
    return {
        "type": "Feature",
        "id": site.pk,
        "bbox": site.bounding_box,
        "geometry": site.geometry,
        "properties": {
            "name": site.name,
            "kind": site.kind,
            "kind_label": str(site.get_kind_display()),
            "partner": site.partner.name,
            "address": site.address,
            "description": site.description,
            "infrastructure": site.infrastructure(),
            "availability": [
                {"from": window.starts_on.isoformat(), "to": window.ends_on.isoformat()}
                for window in site.availability.all()
            ],
            "photos": [{"url": photo.image.url, "caption": photo.caption} for photo in site.photos.all()],
            "url": site.get_absolute_url(),
        },
    }


@public_page
@require_GET
def site_list(request):
    sites = list(ExperimentationSite.objects.public().for_listing())
    context = {"sites": sites, "tile_url": settings.MAP_TILE_URL}
    return render(request, "partners/site_list.html", context)


@public_page
@require_GET
def sites_geojson(request):
    sites = ExperimentationSite.objects.public().for_listing()
    collection = {"type": "FeatureCollection", "features": [site_feature(site) for site in sites]}
    return JsonResponse(collection, content_type="application/geo+json", json_dumps_params={"ensure_ascii": False})


@login_required
def partner_sites(request, slug: str):
    """The partner's own sites, for its members to manage."""
    partner = permissions.access_partner(request.user, slug, as_member=True)
    sites = ExperimentationSite.objects.filter(partner=partner).for_listing()
    return render(request, "partners/site_manage.html", {"partner": partner, "sites": sites})


def _site_form_page(request, partner, site: ExperimentationSite | None):
    initial = [
        {"starts_on": window.starts_on, "ends_on": window.ends_on}
        for window in (site.availability.order_by("starts_on") if site else [])
    ]
    form = ExperimentationSiteForm(request.POST or None, instance=site)
    formset = AvailabilityFormSet(request.POST or None, initial=initial, prefix="availability")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            with transaction.atomic():
                if site is None:
                    site = services.site_create(partner=partner, actor=request.user, data=data)
                else:
                    site = services.site_update(site=site, actor=request.user, data=data)
                services.site_availability_set(site=site, actor=request.user, windows=availability_windows(formset))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The site %(name)s is saved.") % {"name": site.name})
            return redirect("partners:sites", slug=partner.slug)
    context = {"partner": partner, "site": site, "form": form, "formset": formset}
    invalid = bool(form.errors or formset.total_error_count())
    return render(request, "partners/site_form.html", context, status=400 if invalid else 200)


@login_required
def site_create(request, slug: str):
    partner = permissions.access_partner(request.user, slug, as_member=True)
    return _site_form_page(request, partner, None)


@login_required
def site_edit(request, slug: str, site: str):
    partner = permissions.access_partner(request.user, slug, as_member=True)
    found = visible_or_404(ExperimentationSite.objects.filter(partner=partner), slug=site)
    return _site_form_page(request, partner, found)


@login_required
def site_photos(request, slug: str, site: str):
    """A site's photos, for its partner's members: the list with a remove button each, and the form to add one."""
    partner = permissions.access_partner(request.user, slug, as_member=True)
    found = visible_or_404(ExperimentationSite.objects.filter(partner=partner), slug=site)
    form = SitePhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.site_photo_add(
                site=found, actor=request.user, image=form.cleaned_data["image"], caption=form.cleaned_data["caption"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The photo is added."))
            return redirect("partners:site_photos", slug=partner.slug, site=found.slug)
    context = {
        "partner": partner,
        "site": found,
        "photos": found.photos.order_by("position", "pk"),
        "form": form,
        "limit": settings.SITE_PHOTOS_PER_SITE,
    }
    return render(request, "partners/site_photos.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def site_photo_remove(request, slug: str, site: str, photo: int):
    partner = permissions.access_partner(request.user, slug, as_member=True)
    found = visible_or_404(ExperimentationSite.objects.filter(partner=partner), slug=site)
    services.site_photo_remove(photo=visible_or_404(SitePhoto.objects.filter(site=found), pk=photo), actor=request.user)
    messages.success(request, _("The photo is removed."))
    return redirect("partners:site_photos", slug=partner.slug, site=found.slug)
