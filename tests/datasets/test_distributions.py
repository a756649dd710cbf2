"""A dataset's files: versions uploaded by its partner's members (numbered, hashed, typed from their bytes, refused
whole when too large or of the wrong type), listed on the dataset page, previewed (CSV rows, GeoJSON shapes) for the
people allowed to see the data, and stored on S3 as on local disk."""

import hashlib
import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopUpload
from django.test import Client
from django.urls import reverse
from playwright.sync_api import ConsoleMessage
from storages.backends.s3 import S3Storage

from datasets.distributions import SizeLimitUploadHandler, distribution_add, read_head
from datasets.models import AccessLevel, Dataset, Distribution
from tests.factories import DatasetFactory, PartnerMembershipFactory
from tests.test_storage_s3 import (  # noqa: F401 - the S3 fixtures, against moto's server
    aws_environment,
    bucket,
    production_files,
    public_endpoint,
    s3_client,
    s3_endpoint,
    s3_storage,
)
from tests.utils import get_counting_queries

pytestmark = pytest.mark.django_db

RIDERSHIP = (
    "station;date;montees\nPlace des Nations Unies;2026-03-01;1200\nAbdelmoumen;2026-03-01;850\n"
    + "".join(f"Station {n};2026-03-02;{n * 10}\n" for n in range(40))
).encode()
SECTORS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"sector": "Anfa"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[-7.66, 33.59], [-7.62, 33.59], [-7.62, 33.57], [-7.66, 33.59]]],
            },
        },
        {
            "type": "Feature",
            "properties": {"sector": "Maarif"},
            "geometry": {"type": "Point", "coordinates": [-7.63, 33.58]},
        },
    ],
}


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def stored_keys(dataset) -> list[str]:
    folder = f"datasets/{dataset.pk}"
    try:
        return default_storage.listdir(folder)[1]
    except FileNotFoundError:
        return []


@pytest.fixture
def member():
    return PartnerMembershipFactory.create()


@pytest.fixture
def dataset(member):
    return DatasetFactory.create(owner=member.partner, access_level=AccessLevel.RESTRICTED)


def test_each_upload_is_a_new_version_with_its_size_hash_and_format(dataset, member):
    first = distribution_add(dataset=dataset, upload=upload("r.csv", RIDERSHIP), change_note="March", actor=member.user)
    second = distribution_add(
        dataset=dataset,
        upload=upload("sectors.geojson", json.dumps(SECTORS).encode()),
        change_note="",
        actor=member.user,
    )
    assert (first.version, second.version) == (1, 2)
    assert first.size == len(RIDERSHIP)
    assert first.sha256 == hashlib.sha256(RIDERSHIP).hexdigest()
    assert (first.format, first.media_type) == ("CSV", "text/csv")
    assert second.format == "GeoJSON"
    with first.file.open("rb") as stored:
        assert stored.read() == RIDERSHIP
    assert first.file.name.startswith(f"datasets/{dataset.pk}/")
    assert "r.csv" not in first.file.name


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("data.json", b'[{"a": 1}, {"a": 2}]', "JSON"),
        ("no-extension", b'{"type": "FeatureCollection", "features": []}', "GeoJSON"),
        ("counts.txt", b"a,b,c\n1,2,3\n4,5,6\n", "CSV"),
        ("table.parquet", b"PAR1" + b"\x00" * 64 + b"PAR1", "Parquet"),
        ("latin.csv", "commune;année\nAïn Sebaâ;2026\n".encode("latin-1"), "CSV"),
    ],
)
def test_the_format_is_read_from_the_bytes(dataset, member, name, content, expected):
    distribution = distribution_add(dataset=dataset, upload=upload(name, content), change_note="", actor=member.user)
    assert distribution.format == expected


def test_a_zip_archive_is_accepted(dataset, member):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    distribution = distribution_add(
        dataset=dataset, upload=upload("bundle.zip", buffer.getvalue()), change_note="", actor=member.user
    )
    assert distribution.format == "ZIP"


def test_a_member_uploads_a_version_from_the_form(client, dataset, member):
    client.force_login(member.user)
    url = reverse("datasets:upload", kwargs={"slug": dataset.slug})
    form = client.get(url)
    assert form.status_code == 200
    assert form.context["max_bytes"] == 2 * 1024**3
    assert f'data-max-bytes="{2 * 1024**3}"' in form.content.decode()  # the browser checks it before sending
    response = client.post(url, {"change_note": "Mars 2026", "file": upload("ridership.csv", RIDERSHIP)})
    assert response.status_code == 302
    distribution = Distribution.objects.get(dataset=dataset)
    assert (distribution.version, distribution.change_note, distribution.uploaded_by) == (1, "Mars 2026", member.user)
    assert distribution.sha256 == hashlib.sha256(RIDERSHIP).hexdigest()


def test_an_oversized_file_is_refused_with_nothing_stored(client, settings, dataset, member):
    settings.DATASET_FILE_MAX_BYTES = 1000
    client.force_login(member.user)
    url = reverse("datasets:upload", kwargs={"slug": dataset.slug})
    response = client.post(url, {"change_note": "", "file": upload("big.csv", b"a;b\n" + b"1;2\n" * 5000)})
    assert response.status_code == 400
    assert "file" in response.context["form"].errors
    assert not Distribution.objects.exists()
    assert stored_keys(dataset) == []
    with pytest.raises(ValidationError) as refused:
        distribution_add(dataset=dataset, upload=upload("big.csv", b"a;b\n" * 1000), change_note="", actor=member.user)
    assert refused.value.code == "file_too_large"
    assert stored_keys(dataset) == []


def test_the_upload_handler_stops_reading_past_the_limit():
    handler = SizeLimitUploadHandler(100)
    assert handler.receive_data_chunk(b"x" * 64, 0) == b"x" * 64
    with pytest.raises(StopUpload) as stopped:
        handler.receive_data_chunk(b"x" * 64, 64)
    assert stopped.value.connection_reset
    assert handler.exceeded


@pytest.mark.parametrize(
    ("name", "content"),
    [("tool.csv", b"MZ\x90\x00\x03" + b"\x00" * 200), ("page.csv", b"\x7fELF\x02\x01\x01" + b"\x00" * 200)],
)
def test_a_file_of_another_type_is_refused_with_nothing_stored(client, dataset, member, name, content):
    client.force_login(member.user)
    url = reverse("datasets:upload", kwargs={"slug": dataset.slug})
    response = client.post(url, {"change_note": "", "file": upload(name, content)})
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert not Distribution.objects.exists()
    assert stored_keys(dataset) == []


def test_only_members_of_the_owner_reach_the_upload_page(client, dataset):
    url = reverse("datasets:upload", kwargs={"slug": dataset.slug})
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(PartnerMembershipFactory.create().user)
    assert client.get(url).status_code == 404
    assert client.post(url, {"file": upload("r.csv", RIDERSHIP)}).status_code == 404
    assert not Distribution.objects.exists()


def test_the_dataset_page_lists_the_versions_with_a_constant_query_count(client, dataset, member):
    url = dataset.get_absolute_url()
    client.force_login(member.user)
    distribution_add(dataset=dataset, upload=upload("r.csv", RIDERSHIP), change_note="", actor=member.user)
    one, one_count = get_counting_queries(client, url)
    for _n in range(4):
        distribution_add(dataset=dataset, upload=upload("r.csv", RIDERSHIP), change_note="", actor=member.user)
    five, five_count = get_counting_queries(client, url)
    assert one.status_code == five.status_code == 200
    assert one_count == five_count
    html = five.content.decode()
    assert html.count('<tr data-version="') == 5
    assert hashlib.sha256(RIDERSHIP).hexdigest() in html
    assert reverse("datasets:preview", kwargs={"slug": dataset.slug, "version": 5}) in html


def preview_of(client, dataset, version: int = 1):
    response = client.get(reverse("datasets:preview", kwargs={"slug": dataset.slug, "version": version}))
    assert response.status_code == 200
    return response.context["preview"]


def test_a_semicolon_csv_shows_its_first_twenty_rows(client, dataset, member):
    distribution_add(dataset=dataset, upload=upload("r.csv", RIDERSHIP), change_note="", actor=member.user)
    client.force_login(member.user)
    preview = preview_of(client, dataset)
    assert preview.kind == "table"
    assert preview.header == ["station", "date", "montees"]
    assert len(preview.rows) == 20
    assert preview.rows[0] == ["Place des Nations Unies", "2026-03-01", "1200"]


@pytest.mark.parametrize(
    "content",
    [
        "commune;année\nAïn Sebaâ;2026\n".encode("latin-1"),  # not UTF-8
        b'station;count\n"Anfa;12\n1;2\n',  # a quote never closed
    ],
)
def test_a_csv_that_cannot_be_read_gives_no_preview(client, dataset, member, content):
    distribution_add(dataset=dataset, upload=upload("r.csv", content), change_note="", actor=member.user)
    client.force_login(member.user)
    preview = preview_of(client, dataset)
    assert preview.kind == ""
    assert preview.reason


def test_a_geojson_file_is_drawn_on_a_map(client, member):
    dataset = DatasetFactory.create(owner=member.partner, access_level=AccessLevel.PUBLIC)
    content = json.dumps(SECTORS).encode()
    distribution_add(dataset=dataset, upload=upload("s.geojson", content), change_note="", actor=member.user)
    response = client.get(reverse("datasets:preview", kwargs={"slug": dataset.slug, "version": 1}))
    assert response.status_code == 200
    assert response.context["preview"].kind == "map"
    html = response.content.decode()
    block = html.split('<script id="preview-geojson" type="application/json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(block) == SECTORS
    assert "js/dataset-preview.js" in html


def test_only_people_allowed_to_see_the_data_get_a_preview(client, dataset, member):
    distribution_add(dataset=dataset, upload=upload("r.csv", RIDERSHIP), change_note="", actor=member.user)
    url = reverse("datasets:preview", kwargs={"slug": dataset.slug, "version": 1})
    assert client.get(url).status_code == 404  # restricted: not for a visitor
    client.force_login(PartnerMembershipFactory.create().user)
    assert client.get(url).status_code == 404
    assert "datasets:preview" not in client.get(dataset.get_absolute_url()).content.decode()
    client.force_login(member.user)
    assert client.get(url).status_code == 200
    assert client.get(reverse("datasets:preview", kwargs={"slug": dataset.slug, "version": 2})).status_code == 404


@pytest.mark.usefixtures("s3_storage")
def test_a_version_is_stored_on_s3_and_read_back(dataset, member):
    distribution = distribution_add(
        dataset=dataset, upload=upload("r.csv", RIDERSHIP), change_note="", actor=member.user
    )
    assert isinstance(storages["default"], S3Storage)
    assert default_storage.exists(distribution.file.name)
    with default_storage.open(distribution.file.name, "rb") as stored:
        assert stored.read() == RIDERSHIP
    assert read_head(distribution, 16) == RIDERSHIP[:16]
    assert hashlib.sha256(RIDERSHIP).hexdigest() == distribution.sha256


def test_the_upload_is_csrf_protected_even_when_the_file_is_cut(settings, dataset, member):
    settings.DATASET_FILE_MAX_BYTES = 1000
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member.user)
    url = reverse("datasets:upload", kwargs={"slug": dataset.slug})
    assert browser.get(url).status_code == 200
    token = browser.cookies["csrftoken"].value
    assert browser.post(url, {"file": upload("r.csv", b"a;b\n1;2\n")}).status_code == 403
    # The form sends its token before the file: the cut file still leaves a checked form, with its error.
    too_large = browser.post(url, {"csrfmiddlewaretoken": token, "file": upload("big.csv", b"a;b\n" * 5000)})
    assert too_large.status_code == 400
    accepted = browser.post(url, {"csrfmiddlewaretoken": token, "file": upload("r.csv", b"a;b\n1;2\n")})
    assert accepted.status_code == 302
    assert Distribution.objects.get().version == 1


def test_the_demo_files_load_once_and_preview(client):
    from datacity.demo.files import FILES, load_files

    for slug in FILES:
        DatasetFactory.create(slug=slug, access_level=AccessLevel.PUBLIC)
    assert load_files() == 4
    assert load_files() == 0
    formats = dict(Distribution.objects.values_list("dataset__slug", "format"))
    assert formats == {
        "frequentation-stations-tram": "CSV",
        "comptage-eau-secteurs": "GeoJSON",
        "points-lumineux": "GeoJSON",
        "conteneurs-dechets": "CSV",
    }
    tram = Dataset.objects.get(slug="frequentation-stations-tram")
    assert preview_of(client, tram).header == ["station", "date", "heure", "montees", "descentes"]
    water = Dataset.objects.get(slug="comptage-eau-secteurs")
    assert len(preview_of(client, water).geojson["features"]) == 6


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_geojson_preview_draws_its_shapes_without_a_csp_violation(live_server, page, settings):
    settings.MAP_TILE_URL = f"{live_server.url}/no-tiles/{{z}}/{{x}}/{{y}}.png"  # 'self': nothing leaves the machine
    dataset = DatasetFactory.create(access_level=AccessLevel.PUBLIC)
    distribution_add(
        dataset=dataset, upload=upload("s.geojson", json.dumps(SECTORS).encode()), change_note="", actor=None
    )
    violations: list[str] = []

    def record_violation(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", record_violation)
    page.goto(live_server.url + reverse("datasets:preview", kwargs={"slug": dataset.slug, "version": 1}))
    page.wait_for_selector("#preview-map[data-ready='true']")
    assert page.locator("#preview-map path.leaflet-interactive").count() == 1  # the polygon
    assert page.locator("#preview-map .leaflet-marker-icon").count() == 1  # the point
    assert violations == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_browser_refuses_a_file_over_the_limit_before_sending_it(live_server, page_logged_in_as, settings):
    settings.DATASET_FILE_MAX_BYTES = 1000
    membership = PartnerMembershipFactory.create()
    dataset = DatasetFactory.create(owner=membership.partner)
    page = page_logged_in_as(membership.user)
    page.goto(live_server.url + reverse("datasets:upload", kwargs={"slug": dataset.slug}))
    warning = page.locator("#file-too-large")
    assert warning.is_hidden()
    page.set_input_files(
        "input[type=file]", files=[{"name": "big.csv", "mimeType": "text/csv", "buffer": b"a;b\n" * 500}]
    )
    assert warning.is_visible()
    page.locator("form.stack-form button[type=submit]").click()
    assert warning.is_visible()
    assert page.url.endswith(reverse("datasets:upload", kwargs={"slug": dataset.slug}))
    assert not Distribution.objects.exists()
