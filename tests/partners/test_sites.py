"""Experimentation sites: GeoJSON validation, the partner members' pages, the public list and its feed."""

import io
import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from datacity.audit.models import AuditEntry
from partners import services
from partners.models import ExperimentationSite, SiteAvailability, SiteKind, geometry_positions
from tests.factories import PartnerFactory, PartnerMembershipFactory, UserFactory
from tests.utils import assert_constant_queries, translated

pytestmark = pytest.mark.django_db

TRAM = {"type": "LineString", "coordinates": [[-7.6200, 33.5890], [-7.6100, 33.5920], [-7.5980, 33.5950]]}
POINT = {"type": "Point", "coordinates": [-7.6186, 33.5731]}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-7.64, 33.58], [-7.62, 33.58], [-7.62, 33.60], [-7.64, 33.60], [-7.64, 33.58]]],
}


def make_site(partner=None, *, name="Tram line T1", geometry=None, windows=(), **values) -> ExperimentationSite:
    partner = partner or PartnerFactory.create()
    data = {"name": name, "kind": SiteKind.TRAM_LINE, "geometry": geometry or TRAM, **values}
    site = services.site_create(partner=partner, actor=None, data=data)
    if windows:
        services.site_availability_set(site=site, actor=None, windows=windows)
    return site


# --- Geometry -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("geometry", [POINT, TRAM, SQUARE, {"type": "Point", "coordinates": [-7.6, 33.5, 12.0]}])
def test_valid_geometries_are_accepted(geometry):
    assert geometry_positions(geometry)


@pytest.mark.parametrize(
    ("geometry", "code"),
    [
        ("not even an object", "geometry_type"),
        ({"type": "MultiPoint", "coordinates": [[0, 0]]}, "geometry_type"),
        ({"type": "Point", "coordinates": [200, 33.5]}, "geometry_range"),
        ({"type": "Point", "coordinates": [-7.6, 95]}, "geometry_range"),
        ({"type": "Point", "coordinates": ["-7.6", "33.5"]}, "geometry_position"),
        ({"type": "Point", "coordinates": [True, 33.5]}, "geometry_position"),
        ({"type": "Point"}, "geometry_position"),
        ({"type": "LineString", "coordinates": [[-7.6, 33.5]]}, "geometry_too_short"),
        ({"type": "Polygon", "coordinates": []}, "geometry_no_ring"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}, "geometry_open_ring"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}, "geometry_too_short"),
    ],
)
def test_invalid_geometry_is_refused_and_nothing_is_stored(geometry, code):
    partner = PartnerFactory.create()
    with pytest.raises(ValidationError) as refusal:
        services.site_create(partner=partner, actor=None, data={"name": "Broken", "geometry": geometry})
    assert [error.code for error in refusal.value.error_dict["geometry"]] == [code]
    assert not ExperimentationSite.objects.exists()
    assert not AuditEntry.objects.filter(action="experimentationsite.created").exists()


def test_bounding_box_is_stored_with_the_site():
    site = make_site(geometry=SQUARE)
    site.refresh_from_db()
    assert site.bounding_box == [-7.64, 33.58, -7.62, 33.60]
    assert ExperimentationSite.objects.filter(min_longitude__lte=-7.63, max_longitude__gte=-7.63).get() == site


def test_slugs_are_unique_per_partner():
    partner = PartnerFactory.create()
    first, second = make_site(partner, name="Anfa"), make_site(partner, name="Anfa")
    assert (first.slug, second.slug) == ("anfa", "anfa-2")
    assert make_site(name="Anfa").slug == "anfa"


def test_availability_is_replaced_and_audited():
    site = make_site(windows=[(date(2027, 3, 1), date(2027, 3, 31))])
    services.site_availability_set(site=site, actor=None, windows=[(date(2027, 5, 1), date(2027, 6, 30))])
    assert list(site.availability.values_list("starts_on", "ends_on")) == [(date(2027, 5, 1), date(2027, 6, 30))]
    assert AuditEntry.objects.filter(action="experimentationsite.availability_set").count() == 2
    with pytest.raises(ValidationError):
        services.site_availability_set(site=site, actor=None, windows=[(date(2027, 5, 2), date(2027, 5, 1))])
    assert SiteAvailability.objects.filter(site=site).count() == 1


# --- Partner members' pages -----------------------------------------------------------------------------------------


def form_data(geometry: str, **values) -> dict:
    data = {
        "name": "Anfa district",
        "kind": SiteKind.DISTRICT,
        "address": "Anfa, Casablanca",
        "description_fr": "Un quartier.",
        "geometry": geometry,
        "has_power": "on",
        "availability-TOTAL_FORMS": "2",
        "availability-INITIAL_FORMS": "0",
        "availability-0-starts_on": "2027-03-01",
        "availability-0-ends_on": "2027-04-30",
        "availability-1-starts_on": "",
        "availability-1-ends_on": "",
    }
    return {**data, **values}


def test_partner_member_creates_and_edits_a_site(client):
    membership = PartnerMembershipFactory.create(partner__slug="casa-tram")
    client.force_login(membership.user)
    assert client.get("/partners/casa-tram/sites/new/").status_code == 200

    response = client.post("/partners/casa-tram/sites/new/", form_data(json.dumps(SQUARE)))
    assert response.status_code == 302
    site = ExperimentationSite.objects.get()
    assert (site.partner, site.kind, site.has_power, translated(site, "description", "fr")) == (
        membership.partner,
        SiteKind.DISTRICT,
        True,
        "Un quartier.",
    )
    assert list(site.availability.values_list("starts_on", "ends_on")) == [(date(2027, 3, 1), date(2027, 4, 30))]
    assert AuditEntry.objects.filter(action="experimentationsite.created", actor=membership.user).exists()

    assert client.get(f"/partners/casa-tram/sites/{site.slug}/edit/").status_code == 200
    response = client.post(
        f"/partners/casa-tram/sites/{site.slug}/edit/", form_data(json.dumps(POINT), name="Anfa square")
    )
    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.name, site.geometry["type"]) == ("Anfa square", "Point")
    assert client.get("/partners/casa-tram/sites/").status_code == 200


def test_invalid_geometry_in_the_form_stores_nothing(client):
    membership = PartnerMembershipFactory.create(partner__slug="casa-tram")
    client.force_login(membership.user)
    open_ring = '{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}'
    response = client.post("/partners/casa-tram/sites/new/", form_data(open_ring))
    assert response.status_code == 400
    assert response.context["form"].has_error("geometry", "geometry_open_ring")
    response = client.post("/partners/casa-tram/sites/new/", form_data("{not json"))
    assert response.status_code == 400
    assert response.context["form"].has_error("geometry")
    assert not ExperimentationSite.objects.exists()
    assert not SiteAvailability.objects.exists()


def test_a_window_ending_before_it_starts_stores_nothing(client):
    membership = PartnerMembershipFactory.create(partner__slug="casa-tram")
    client.force_login(membership.user)
    data = form_data(json.dumps(POINT), **{"availability-0-ends_on": "2027-02-01"})
    response = client.post("/partners/casa-tram/sites/new/", data)
    assert response.status_code == 400
    assert not ExperimentationSite.objects.exists()


def test_other_people_get_404_on_a_partners_site_pages(client):
    site = make_site(PartnerFactory.create(slug="casa-tram"), name="T1")
    PartnerMembershipFactory.create(partner__slug="lydec")
    urls = [
        "/partners/casa-tram/sites/",
        "/partners/casa-tram/sites/new/",
        f"/partners/casa-tram/sites/{site.slug}/edit/",
    ]
    for user in (UserFactory.create(), UserFactory.create(is_staff=True), PartnerMembershipFactory.create().user):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, url
    client.logout()
    for url in urls:
        assert client.get(url).status_code == 302, url
    # A member of another partner cannot edit this partner's site through their own partner's URL either.
    other = PartnerMembershipFactory.create(partner__slug="other")
    client.force_login(other.user)
    assert client.get(f"/partners/other/sites/{site.slug}/edit/").status_code == 404


# --- Public list and feed -------------------------------------------------------------------------------------------


def test_public_list_and_feed_show_only_public_partners_sites(client):
    make_site(
        PartnerFactory.create(name="Casa Tram"), name="Tram line T1", windows=[(date(2027, 3, 1), date(2027, 3, 31))]
    )
    make_site(PartnerFactory.create(name="Secret", is_public=False), name="Hidden depot", geometry=POINT)

    html = client.get("/sites/").content.decode()
    assert "Tram line T1" in html
    assert "Hidden depot" not in html
    assert 'id="sites-map"' in html
    assert "vendor/leaflet/leaflet.js" in html

    response = client.get("/sites.geojson")
    assert response["Content-Type"] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    [feature] = collection["features"]
    assert feature["geometry"] == TRAM
    assert feature["properties"]["name"] == "Tram line T1"
    assert feature["properties"]["partner"] == "Casa Tram"
    assert feature["properties"]["availability"] == [{"from": "2027-03-01", "to": "2027-03-31"}]
    assert feature["bbox"] == [-7.62, 33.589, -7.598, 33.595]


def test_map_tiles_origin_is_allowed_by_the_csp(client, settings):
    response = client.get("/sites/")
    assert "https://tile.openstreetmap.org" in response["Content-Security-Policy"]
    assert 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in response.content.decode()


@pytest.mark.parametrize("url", ["/sites/", "/sites.geojson"])
def test_list_and_feed_query_counts_are_constant(client, url):
    partners = [PartnerFactory.create() for _ in range(3)]

    def grow(n):
        while ExperimentationSite.objects.count() < n:
            count = ExperimentationSite.objects.count()
            make_site(partners[count % 3], name=f"Site {count}", windows=[(date(2027, 1, 1), date(2027, 12, 31))])

    assert_constant_queries(client, url, grow, at_most=3)


def test_partner_sites_page_query_count_is_constant(client):
    membership = PartnerMembershipFactory.create(partner__slug="casa-tram")
    client.force_login(membership.user)

    def grow(n):
        while ExperimentationSite.objects.count() < n:
            make_site(
                membership.partner,
                name=f"Site {ExperimentationSite.objects.count()}",
                windows=[(date(2027, 1, 1), date(2027, 1, 31))],
            )

    assert_constant_queries(client, "/partners/casa-tram/sites/", grow, at_most=12)


# --- The map, in a real browser ---------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_map_draws_the_sites_without_tiles_and_without_csp_violations(live_server, page):
    make_site(PartnerFactory.create(name="Casa Tram"), name="Tram line T1")
    make_site(PartnerFactory.create(name="Lydec"), name="Anfa district", geometry=SQUARE)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    # Tests run offline: the tile server cannot answer, and the page must not depend on it.
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())

    response = page.goto(live_server.url + "/sites/")
    assert response is not None
    assert response.status == 200
    page.wait_for_selector("#sites-map[data-ready='true']", timeout=10_000)
    assert page.locator("#sites-map path.leaflet-interactive").count() == 2
    assert page.locator(".sites-list li").count() == 2
    assert violations == []


# --- Demo -----------------------------------------------------------------------------------------------------------


def test_demo_sites_load_once_with_the_demo_startups_booking(settings):
    from django.core.management import call_command

    from datacity.demo.sites import load_sites
    from startups.models import BookingStatus, SiteBooking

    settings.DEMO_ACCOUNTS_ENABLED = True
    call_command("load_demo", stdout=io.StringIO())
    sites = load_sites()
    assert {site.kind for site in sites.values()} == {SiteKind.TRAM_LINE, SiteKind.DISTRICT, SiteKind.BUILDING}
    booking = SiteBooking.objects.get()
    assert (booking.site, booking.startup.slug, booking.status) == (sites["lydec"], "kezakoo", BookingStatus.REQUESTED)
    entries = AuditEntry.objects.count()
    load_sites()
    assert AuditEntry.objects.count() == entries
    assert ExperimentationSite.objects.count() == 3
    assert SiteBooking.objects.count() == 1
