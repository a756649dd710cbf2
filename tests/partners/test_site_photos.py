"""Photos of experimentation sites: added and removed by the partner's members through audited services, checked
from their bytes before storage, shown on the public list and in the GeoJSON feed."""

import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from datacity.audit.models import AuditEntry
from datacity.core.storage import public_storage
from partners import services
from partners.models import ExperimentationSite, SiteKind, SitePhoto
from tests.factories import PartnerFactory, PartnerMembershipFactory, UserFactory
from tests.utils import get_counting_queries

pytestmark = pytest.mark.django_db

POINT = {"type": "Point", "coordinates": [-7.6186, 33.5731]}


def image(name: str = "tram.png", *, kind: str = "PNG", size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (12, 99, 180)).save(buffer, format=kind)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{kind.lower()}")


def make_site(partner=None, *, name: str = "Tram line T1") -> ExperimentationSite:
    partner = partner or PartnerFactory.create()
    return services.site_create(
        partner=partner, actor=None, data={"name": name, "kind": SiteKind.TRAM_LINE, "geometry": POINT}
    )


def stored_files(folder: str = "sites") -> list[str]:
    """Every file under `folder` of the public storage."""
    storage = public_storage()
    if not storage.exists(folder):
        return []
    directories, files = storage.listdir(folder)
    return [f"{folder}/{name}" for name in files] + [
        path for directory in directories for path in stored_files(f"{folder}/{directory}")
    ]


@pytest.fixture(autouse=True)
def _empty_public_storage(settings):
    """A new in-memory public storage for each test, so that what it holds is this test's files only."""
    settings.STORAGES = {**settings.STORAGES, "public": {**settings.STORAGES["public"]}}


@pytest.fixture
def member():
    return PartnerMembershipFactory.create(partner__slug="casa-tram", partner__name="Casa Tram").user


@pytest.fixture
def site(member):
    return make_site(member.partners.get())


def photos_url(site: ExperimentationSite) -> str:
    return f"/en/partners/{site.partner.slug}/sites/{site.slug}/photos/"


def remove_url(photo: SitePhoto) -> str:
    return f"{photos_url(photo.site)}{photo.pk}/remove/"


# --- Services -------------------------------------------------------------------------------------------------------


def test_a_photo_is_stored_publicly_under_a_server_made_key_and_audited(member, site):
    photo = services.site_photo_add(site=site, actor=member, image=image("../../etc/passwd.png"), caption="Station")
    assert photo.image.name.startswith(f"sites/{site.pk}/")
    assert photo.image.name.endswith(".png")
    assert "passwd" not in photo.image.name
    assert (photo.width, photo.height, photo.position) == (40, 30, 0)
    assert public_storage().exists(photo.image.name)
    entry = AuditEntry.objects.get(action="sitephoto.created")
    assert (entry.actor, entry.object_id) == (member, str(photo.pk))
    assert entry.details["changes"]["caption"]["to"] == "Station"


def test_the_extension_is_the_one_the_bytes_prove(member, site):
    photo = services.site_photo_add(site=site, actor=member, image=image("named.png", kind="JPEG"), caption="A tram")
    assert photo.image.name.endswith(".jpg")
    second = services.site_photo_add(site=site, actor=member, image=image("x.webp", kind="WEBP"), caption="Another")
    assert (second.image.name.endswith(".webp"), second.position) == (True, 1)


def test_the_seventh_photo_is_refused(member, site, settings):
    assert settings.SITE_PHOTOS_PER_SITE == 6
    for number in range(6):
        services.site_photo_add(site=site, actor=member, image=image(), caption=f"Photo {number}")
    with pytest.raises(ValidationError) as refusal:
        services.site_photo_add(site=site, actor=member, image=image(), caption="One too many")
    assert refusal.value.code == "too_many_photos"
    assert site.photos.count() == 6
    assert len(stored_files()) == 6


def test_a_caption_on_two_lines_is_refused(member, site):
    with pytest.raises(ValidationError) as refusal:
        services.site_photo_add(site=site, actor=member, image=image(), caption="Two\nlines")
    assert "caption" in refusal.value.error_dict
    assert not SitePhoto.objects.exists()


def test_removing_deletes_the_file_after_commit_and_is_audited(member, site, django_capture_on_commit_callbacks):
    photo = services.site_photo_add(site=site, actor=member, image=image(), caption="Station")
    name = photo.image.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.site_photo_remove(photo=photo, actor=member)
    assert public_storage().exists(name), "the file is deleted only once the removal is committed"
    for callback in callbacks:
        callback()
    assert not public_storage().exists(name)
    assert not SitePhoto.objects.exists()
    entry = AuditEntry.objects.get(action="sitephoto.deleted")
    assert (entry.actor, entry.object_repr) == (member, "Station")


# --- The partner members' page ----------------------------------------------------------------------------------


def test_a_member_adds_and_removes_a_photo(client, member, site, django_capture_on_commit_callbacks):
    client.force_login(member)
    assert client.get(f"/en/partners/casa-tram/sites/{site.slug}/edit/").content.decode().count(photos_url(site)) == 1
    assert client.get(photos_url(site)).status_code == 200

    response = client.post(photos_url(site), {"image": image(), "caption": "The terminus at Sidi Moumen"})
    assert response.status_code == 302
    photo = SitePhoto.objects.get()
    assert (photo.site, photo.caption) == (site, "The terminus at Sidi Moumen")
    assert AuditEntry.objects.filter(action="sitephoto.created", actor=member).exists()
    page = client.get(photos_url(site)).content.decode()
    assert 'alt="The terminus at Sidi Moumen"' in page
    assert remove_url(photo) in page

    assert client.get(remove_url(photo)).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(remove_url(photo))
    assert response.status_code == 302
    assert not SitePhoto.objects.exists()
    assert stored_files() == []
    assert AuditEntry.objects.filter(action="sitephoto.deleted", actor=member).exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("notes.png", b"These are notes, not a picture.\n" * 10, content_type="image/png"), None),
        (image("big.png", size=(600, 600)), "photos are limited"),
    ],
    ids=["text-renamed-png", "too-big"],
)
def test_a_refused_image_stores_nothing_and_keeps_what_was_typed(client, member, site, settings, upload, message):
    settings.SITE_PHOTO_MAX_BYTES = 1000  # the PNG above is larger; the text file is smaller
    client.force_login(member)
    response = client.post(photos_url(site), {"image": upload, "caption": "Kept caption"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="Kept caption"' in html
    assert "Please correct the errors below." in html
    assert response.context["form"].has_error("image")
    if message:
        assert "files are limited to 1000" in html
    assert not SitePhoto.objects.exists()
    assert stored_files() == []
    assert not AuditEntry.objects.filter(action="sitephoto.created").exists()


def test_the_service_refuses_a_wrong_type_or_size_itself(member, site, settings):
    """What the form checks, the service checks again: staff, commands and the demo call it without the form."""
    settings.SITE_PHOTO_MAX_BYTES = 1000
    text = SimpleUploadedFile("notes.png", b"not a picture\n" * 10, content_type="image/png")
    broken = SimpleUploadedFile("broken.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 50, content_type="image/png")
    for upload, code in (
        (text, "file_type"),
        (image(size=(600, 600)), "file_too_large"),
        (broken, "invalid_image"),
    ):
        with pytest.raises(ValidationError) as refusal:
            services.site_photo_add(site=site, actor=member, image=upload, caption="Refused")
        assert [error.code for error in refusal.value.error_dict["image"]] == [code]
    assert stored_files() == []
    assert not SitePhoto.objects.exists()


def test_the_seventh_photo_is_refused_on_the_page(client, member, site):
    for number in range(6):
        services.site_photo_add(site=site, actor=member, image=image(), caption=f"Photo {number}")
    client.force_login(member)
    response = client.post(photos_url(site), {"image": image(), "caption": "One too many"})
    assert response.status_code == 400
    assert "A site has 6 photos at most" in response.content.decode()
    assert site.photos.count() == 6
    assert len(stored_files()) == 6


def test_other_people_get_404_and_cannot_remove(client, site):
    photo = services.site_photo_add(site=site, actor=None, image=image(), caption="Station")
    other = PartnerMembershipFactory.create(partner__slug="lydec")
    for user in (other.user, UserFactory.create(), UserFactory.create(is_staff=True)):
        client.force_login(user)
        assert client.get(photos_url(site)).status_code == 404
        assert client.post(photos_url(site), {"image": image(), "caption": "Intruder"}).status_code == 404
        assert client.post(remove_url(photo)).status_code == 404
    # Nor through their own partner's URL.
    client.force_login(other.user)
    assert client.post(f"/en/partners/lydec/sites/{site.slug}/photos/{photo.pk}/remove/").status_code == 404
    assert client.get(f"/en/partners/lydec/sites/{site.slug}/photos/").status_code == 404
    assert list(SitePhoto.objects.values_list("caption", flat=True)) == ["Station"]
    assert AuditEntry.objects.filter(action="access.refused").exists()


def test_a_photo_of_another_site_of_the_same_partner_is_not_found_through_this_one(client, member, site):
    other_site = make_site(site.partner, name="Depot")
    photo = services.site_photo_add(site=other_site, actor=member, image=image(), caption="Depot")
    client.force_login(member)
    assert client.post(f"{photos_url(site)}{photo.pk}/remove/").status_code == 404
    assert SitePhoto.objects.filter(pk=photo.pk).exists()


def test_anonymous_people_are_sent_to_log_in(client, site):
    photo = services.site_photo_add(site=site, actor=None, image=image(), caption="Station")
    for response in (client.get(photos_url(site)), client.post(remove_url(photo))):
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert SitePhoto.objects.exists()


# --- Public list and feed -------------------------------------------------------------------------------------------


def test_the_public_list_and_feed_show_the_photos_with_their_caption(client, site):
    photo = services.site_photo_add(site=site, actor=None, image=image(), caption="The terminus at Sidi Moumen")
    html = client.get("/en/sites/").content.decode()
    assert f'src="{photo.image.url}"' in html
    assert 'alt="The terminus at Sidi Moumen"' in html
    assert 'width="40" height="30" loading="lazy"' in html
    [feature] = client.get("/sites.geojson").json()["features"]
    assert feature["properties"]["photos"] == [{"url": photo.image.url, "caption": "The terminus at Sidi Moumen"}]


@pytest.mark.parametrize("url", ["/sites/", "/sites.geojson"])
def test_the_query_count_does_not_grow_with_sites_with_photos(client, url):
    def add_sites(count: int) -> None:
        for number in range(count):
            site = make_site(name=f"Site {ExperimentationSite.objects.count()}")
            for photo in range(2):
                services.site_photo_add(site=site, actor=None, image=image(), caption=f"Photo {number}.{photo}")

    add_sites(1)
    one, one_count = get_counting_queries(client, url)
    add_sites(2)
    three, three_count = get_counting_queries(client, url)
    assert one.status_code == three.status_code == 200
    assert SitePhoto.objects.count() == 6
    assert one_count == three_count, f"{url}: {one_count} queries with 1 site, {three_count} with 3"


# --- The admin ------------------------------------------------------------------------------------------------------


def admin_change_data(response, **photos: Any) -> dict:
    """What the site's admin change page would send back unchanged, with the photo inline's rows `photos`."""
    form = response.context["adminform"].form
    data: dict = {}
    for name in form.fields:
        value = form[name].value()
        if value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return {**data, **photos}


def test_staff_add_and_remove_photos_in_the_admin_through_services(client, site, django_capture_on_commit_callbacks):
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    client.force_login(staff)
    url = f"/admin/partners/experimentationsite/{site.pk}/change/"
    page = client.get(url)
    response = client.post(
        url,
        admin_change_data(
            page,
            **{"photos-TOTAL_FORMS": "1", "photos-0-caption": "From the admin", "photos-0-position": "0"},
            **{"photos-0-image": image("admin.png"), "photos-0-site": str(site.pk)},
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors or response.context["errors"]
    photo = SitePhoto.objects.get()
    assert (photo.caption, photo.image.name.startswith(f"sites/{site.pk}/")) == ("From the admin", True)
    assert AuditEntry.objects.filter(action="sitephoto.created", actor=staff).exists()

    removal = {
        "photos-TOTAL_FORMS": "1",
        "photos-INITIAL_FORMS": "1",
        "photos-0-id": str(photo.pk),
        "photos-0-site": str(site.pk),
        "photos-0-caption": photo.caption,
        "photos-0-position": "0",
        "photos-0-DELETE": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, admin_change_data(client.get(url), **removal))
    assert response.status_code == 302
    assert not SitePhoto.objects.exists()
    assert stored_files() == []
    assert AuditEntry.objects.filter(action="sitephoto.deleted", actor=staff).exists()


def test_the_admin_refuses_a_picture_that_is_not_one_and_stores_nothing(client, site):
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    url = f"/admin/partners/experimentationsite/{site.pk}/change/"
    text = SimpleUploadedFile("notes.png", b"not a picture\n" * 10, content_type="image/png")
    rows = {"photos-TOTAL_FORMS": "1", "photos-0-caption": "Text", "photos-0-image": text}
    response = client.post(url, admin_change_data(client.get(url), **rows, **{"photos-0-site": str(site.pk)}))
    assert response.status_code == 200
    assert not SitePhoto.objects.exists()
    assert stored_files() == []


# --- Demo -----------------------------------------------------------------------------------------------------------


def test_each_demo_site_gets_one_illustration_once():
    from datacity.demo.sites import load_sites

    PartnerFactory.create(slug="lydec")
    [site] = load_sites().values()
    [photo] = site.photos.all()
    assert photo.caption.startswith("Démo : illustration")
    assert (photo.width, photo.height) == (480, 320)
    entries = AuditEntry.objects.count()
    load_sites()
    assert site.photos.count() == 1
    assert AuditEntry.objects.count() == entries
    assert len(stored_files()) == 1


def test_deleting_a_site_deletes_its_photos_files_after_commit(member, site, django_capture_on_commit_callbacks):
    names = [
        services.site_photo_add(site=site, actor=member, image=image(), caption=f"View {n}").image.name
        for n in range(2)
    ]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.site_delete(site=site, actor=member)
    assert all(public_storage().exists(name) for name in names), "kept until the deletion is committed"
    for callback in callbacks:
        callback()
    assert not any(public_storage().exists(name) for name in names)
    assert not SitePhoto.objects.exists()
    assert AuditEntry.objects.filter(action="experimentationsite.deleted").exists()
