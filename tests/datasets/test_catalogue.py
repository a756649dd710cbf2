"""The catalogue for machines: the DCAT-AP 3 export validates against the official SHACL shapes (tests/data/dcat-ap,
see its README), and the schema.org JSON-LD of a dataset page parses and carries no private URL."""

import datetime
import json
import re
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from datacity.audit.models import AuditEntry
from datasets.models import AccessLevel, Dataset
from partners.models import PartnerKind
from tests.factories import DatasetFactory, PartnerFactory, PartnerMembershipFactory, UserFactory
from tests.utils import translated

pytestmark = [
    pytest.mark.django_db,
    # rdflib 7's own JSON-LD parser still builds a ConjunctiveGraph (not our code).
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
]

SHAPES = Path(__file__).resolve().parent.parent / "data" / "dcat-ap"
SH = "http://www.w3.org/ns/shacl#"


def full_metadata(dataset: Dataset) -> Dataset:
    """Every DCAT-AP field of the model filled, in three languages."""
    Dataset.objects.filter(pk=dataset.pk).update(
        title_fr="Fréquentation du tramway",
        title_ar="عدد ركاب الترام",
        title_en="Tram ridership",
        description_fr="Montées par station et par heure.",
        description_ar="الصعود حسب المحطة والساعة.",
        description_en="Boardings per station and hour.",
        keywords_fr="tramway, mobilité",
        keywords_ar="ترام, تنقل",
        keywords_en="tram, mobility",
        themes=["TRAN", "REGI"],
        contact_name="Service données",
        contact_email="donnees@example.org",
        spatial_coverage="Casablanca",
        temporal_start=datetime.date(2024, 1, 1),
        temporal_end=datetime.date(2024, 12, 31),
        update_frequency="DAILY",
        issued=datetime.date(2024, 2, 1),
        modified=datetime.date(2025, 1, 15),
        languages=["FRA", "ARA"],
    )
    dataset.refresh_from_db()
    return dataset


@pytest.fixture
def populated_catalogue():
    city = PartnerFactory.create(name="Ville de Casablanca", kind=PartnerKind.CITY, website="https://casablanca.ma/")
    full = full_metadata(DatasetFactory.create(slug="tram", owner=city))
    restricted = full_metadata(
        DatasetFactory.create(slug="water", owner=PartnerFactory.create(), access_level=AccessLevel.RESTRICTED)
    )
    # Minimal: a French title and nothing else (no description, no keyword, no date of its own).
    minimal = DatasetFactory.create(slug="lights", title_fr="Points lumineux", access_level=AccessLevel.PARTICIPANTS)
    hidden = DatasetFactory.create(slug="hidden", owner=PartnerFactory.create(is_public=False))
    return {"full": full, "restricted": restricted, "minimal": minimal, "hidden": hidden}


def load_shapes(*names: str) -> Graph:
    shapes = Graph()
    for name in names:
        shapes.parse(SHAPES / name, format="turtle")
    return shapes


def catalogue_graph(client) -> Graph:
    response = client.get("/datasets/catalog.jsonld")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    return Graph().parse(data=response.content, format="json-ld")


def results(report: Graph, severity: str) -> list[str]:
    found = []
    for result in report.subjects(RDF.type, URIRef(f"{SH}ValidationResult")):
        if report.value(result, URIRef(f"{SH}resultSeverity")) == URIRef(f"{SH}{severity}"):
            path = report.value(result, URIRef(f"{SH}resultPath"))
            focus = report.value(result, URIRef(f"{SH}focusNode"))
            message = report.value(result, URIRef(f"{SH}resultMessage"))
            found.append(f"{focus} {path}: {message}")
    return sorted(found)


def test_the_catalogue_validates_against_the_dcat_ap_3_shapes(client, populated_catalogue):
    data = catalogue_graph(client)
    for shapes in (load_shapes("shapes.ttl", "range.ttl"), load_shapes("dcat-ap-SHACL.ttl")):
        conforms, report, text = validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
        assert results(report, "Violation") == [], text
        assert conforms, text


def test_the_full_datasets_meet_the_recommended_properties(client, settings, populated_catalogue):
    site = settings.SITE_URL
    data = catalogue_graph(client)
    shapes = load_shapes("shapes_recommended.ttl", "deprecateduris.ttl")
    _conforms, report, _text = validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    warnings = [line for line in results(report, "Warning") if line.startswith(f"{site}/datasets/tram/")]
    # Distributions come with the data room: the only recommendation a full dataset misses for now.
    assert warnings
    assert all("distribution" in line for line in warnings), warnings


def test_the_catalogue_carries_each_dataset_with_translated_literals(client, settings, populated_catalogue):
    data = catalogue_graph(client)
    catalog = next(data.subjects(RDF.type, DCAT.Catalog))
    assert str(catalog) == f"{settings.SITE_URL}/datasets/catalog.jsonld"
    datasets = set(data.objects(catalog, DCAT.dataset))
    tram = URIRef(f"{settings.SITE_URL}/datasets/tram/#dataset")
    assert datasets == {URIRef(f"{settings.SITE_URL}/datasets/{slug}/#dataset") for slug in ("tram", "water", "lights")}
    assert set(data.objects(tram, DCTERMS.title)) == {
        Literal("Fréquentation du tramway", lang="fr"),
        Literal("عدد ركاب الترام", lang="ar"),
        Literal("Tram ridership", lang="en"),
    }
    assert Literal("mobility", lang="en") in set(data.objects(tram, DCAT.keyword))
    assert URIRef("http://publications.europa.eu/resource/authority/data-theme/TRAN") in set(
        data.objects(tram, DCAT.theme)
    )
    assert data.value(tram, DCTERMS.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/DAILY"
    )
    assert data.value(tram, DCAT.landingPage) == URIRef(f"{settings.SITE_URL}/datasets/tram/")
    city = data.value(catalog, DCTERMS.publisher)
    assert data.value(tram, DCTERMS.publisher) == city
    water = URIRef(f"{settings.SITE_URL}/datasets/water/#dataset")
    assert data.value(water, DCTERMS.accessRights) == URIRef(
        "http://publications.europa.eu/resource/authority/access-right/RESTRICTED"
    )
    # Every title is language-tagged and non-empty (no shape checks it).
    for title in data.objects(None, DCTERMS.title):
        assert str(title).strip()
        assert isinstance(title, Literal)
        assert title.language in {"fr", "ar", "en"}


def test_the_catalogue_has_no_file_url_and_a_constant_query_count(client, django_assert_max_num_queries):
    for n in range(2):
        DatasetFactory.create(slug=f"small-{n}")
    with django_assert_max_num_queries(6) as small:
        client.get("/datasets/catalog.jsonld")
    for n in range(10):
        DatasetFactory.create(slug=f"large-{n}")
    with django_assert_max_num_queries(6) as large:
        client.get("/datasets/catalog.jsonld")
    assert len(small.captured_queries) == len(large.captured_queries)


def schema_org_of(html: str) -> dict:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL)
    assert len(blocks) == 1
    return json.loads(blocks[0])


@pytest.mark.parametrize(
    ("access_level", "free"),
    [(AccessLevel.PUBLIC, True), (AccessLevel.PARTICIPANTS, False), (AccessLevel.RESTRICTED, False)],
)
def test_a_dataset_page_embeds_schema_org_json_ld_without_a_private_url(client, settings, access_level, free):
    dataset = full_metadata(DatasetFactory.create(slug="tram", access_level=access_level))
    Dataset.objects.filter(pk=dataset.pk).update(description_en="</script><script>alert(1)</script> & more")
    html = client.get("/en/datasets/tram/").content.decode()
    data = schema_org_of(html)
    assert data["@type"] == "Dataset"
    assert data["name"] == "Tram ridership"
    assert data["description"] == "</script><script>alert(1)</script> & more"
    assert data["isAccessibleForFree"] is free
    assert ("conditionsOfAccess" in data) is not free
    assert data["url"] == f"{settings.SITE_URL}/datasets/tram/"
    assert data["spatialCoverage"]["name"] == "Casablanca"
    assert data["temporalCoverage"] == "2024-01-01/2024-12-31"
    assert data["inLanguage"] == ["fr", "ar"]
    assert "distribution" not in data
    urls = re.findall(r"https?://[^\s\"']+", json.dumps(data))
    private = [url for url in urls if "/media/" in url or "download" in url or "/files/" in url]
    assert private == []


# --- The catalogue page: search, filters, pagination, query count -------------------------------------------


def listed(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return [dataset.slug for dataset in response.context["datasets"]]


def test_the_catalogue_page_searches_in_the_visitors_language_and_filters(client):
    lydec = PartnerFactory.create(slug="lydec")
    tram = full_metadata(DatasetFactory.create(slug="tram", licence="cc-by-4.0"))
    Dataset.objects.filter(pk=tram.pk).update(keywords_en="tram, mobility", keywords_fr="tramway, déplacements")
    DatasetFactory.create(
        slug="water",
        owner=lydec,
        title_fr="Volumes d'eau",
        title_en="Water volumes",
        themes=["ENVI"],
        access_level=AccessLevel.RESTRICTED,
    )
    DatasetFactory.create(slug="hidden", title_en="Water hidden", owner=PartnerFactory.create(is_public=False))
    assert listed(client, "/en/datasets/") == ["tram", "water"]
    assert listed(client, "/en/datasets/?q=mobility") == ["tram"]
    assert listed(client, "/datasets/?q=déplacements") == ["tram"]
    assert listed(client, "/en/datasets/?q=déplacements") == []  # not in English, nor in the English text shown
    assert listed(client, "/en/datasets/?q=boardings+hour") == ["tram"]
    assert listed(client, "/ar/datasets/?q=الترام") == ["tram"]
    assert listed(client, "/en/datasets/?q=water") == ["water"]
    assert listed(client, "/en/datasets/?partner=lydec") == ["water"]
    assert listed(client, "/en/datasets/?theme=TRAN") == ["tram"]
    assert listed(client, "/en/datasets/?theme=ENVI") == ["water"]
    assert listed(client, "/en/datasets/?licence=cc-by-4.0") == ["tram"]
    assert listed(client, "/en/datasets/?access=restricted") == ["water"]
    assert listed(client, "/en/datasets/?access=restricted&theme=TRAN") == []
    html = client.get("/ar/datasets/?q=%3Cscript%3E&theme=NOPE").content.decode()
    assert "<script>" not in html


def test_the_catalogue_page_is_paginated_with_a_constant_query_count(client, django_assert_num_queries):
    def grow(n):
        while Dataset.objects.count() < n:
            full_metadata(DatasetFactory.create())

    grow(2)
    with django_assert_num_queries(3) as small:
        client.get("/en/datasets/?theme=TRAN")
    grow(12)
    with django_assert_num_queries(3) as large:
        client.get("/en/datasets/?theme=TRAN")
    assert len(small.captured_queries) == len(large.captured_queries)
    grow(30)
    assert len(listed(client, "/en/datasets/")) == 24
    assert len(listed(client, "/en/datasets/?page=2")) == 6


# --- Partners' members create and edit their datasets -----------------------------------------------------------

VALID = {
    "title_fr": "Comptages vélo",
    "title_ar": "عد الدراجات",
    "title_en": "Bicycle counts",
    "description_fr": "Passages par heure.",
    "keywords_fr": "vélo, mobilité",
    "licence": "odbl-1.0",
    "access_level": "participants",
    "themes": ["TRAN"],
    "contact_name": "Service mobilité",
    "contact_email": "mobilite@example.org",
    "spatial_coverage": "Casablanca",
    "temporal_start": "2024-01-01",
    "temporal_end": "2024-06-30",
    "update_frequency": "WEEKLY",
    "languages": ["FRA"],
}


def test_a_partner_member_creates_a_dataset_through_the_audited_service(client):
    membership = PartnerMembershipFactory.create(partner__slug="casa-velo")
    client.force_login(membership.user)
    assert '/en/datasets/new/casa-velo/"' in client.get("/en/datasets/").content.decode()
    assert client.get("/ar/datasets/new/casa-velo/").status_code == 200
    response = client.post("/en/datasets/new/casa-velo/", VALID)
    dataset = Dataset.objects.get(slug="comptages-velo")
    assert response.status_code == 302
    assert response["Location"] == "/en/datasets/comptages-velo/"
    assert dataset.owner == membership.partner
    assert translated(dataset, "title", "ar") == "عد الدراجات"
    assert dataset.themes == ["TRAN"]
    assert dataset.temporal_end == datetime.date(2024, 6, 30)
    entry = AuditEntry.objects.get(action="dataset.created", object_id=str(dataset.pk))
    assert entry.actor == membership.user


def test_bad_input_is_shown_again_with_the_data_typed(client):
    membership = PartnerMembershipFactory.create(partner__slug="casa-velo")
    client.force_login(membership.user)
    bad = {**VALID, "title_fr": "", "contact_email": "not an email", "temporal_end": "2023-01-01"}
    response = client.post("/en/datasets/new/casa-velo/", bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert "عد الدراجات" in html
    assert "not an email" in html
    assert "Service mobilité" in html
    assert not Dataset.objects.exists()
    response = client.post("/en/datasets/new/casa-velo/", {**VALID, "temporal_end": "2023-01-01"})
    assert response.status_code == 400
    assert "The coverage cannot end before it starts." in response.content.decode()
    assert not Dataset.objects.exists()


def test_only_the_owner_partners_members_create_and_edit(client):
    membership = PartnerMembershipFactory.create(partner__slug="lydec")
    dataset = DatasetFactory.create(slug="meters", owner=membership.partner, title_fr="Compteurs")
    assert client.get("/en/datasets/meters/edit/").status_code == 302  # to the login
    for outsider in (PartnerMembershipFactory.create().user, UserFactory.create(is_staff=True)):
        client.force_login(outsider)
        assert client.get("/en/datasets/meters/edit/").status_code == 404
        assert client.post("/en/datasets/meters/edit/", VALID).status_code == 404
        assert client.get("/en/datasets/new/lydec/").status_code == 404
        assert client.post("/en/datasets/new/lydec/", VALID).status_code == 404
    dataset.refresh_from_db()
    assert translated(dataset, "title", "fr") == "Compteurs"
    client.force_login(membership.user)
    response = client.post("/en/datasets/meters/edit/", {**VALID, "title_fr": "Compteurs d'eau"})
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert (translated(dataset, "title", "fr"), dataset.slug, dataset.update_frequency) == (
        "Compteurs d'eau",
        "meters",
        "WEEKLY",
    )
    entry = AuditEntry.objects.get(action="dataset.updated", object_id=str(dataset.pk))
    assert entry.details["changes"]["title_fr"] == {"from": "Compteurs", "to": "Compteurs d'eau"}
    response = client.post("/en/datasets/meters/edit/", {**VALID, "contact_email": "nope"})
    assert response.status_code == 400
    assert "nope" in response.content.decode()


def test_staff_add_a_dataset_in_the_admin_through_the_same_service(client):
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    client.force_login(staff)
    partner = PartnerFactory.create()
    response = client.post(
        "/admin/datasets/dataset/add/",
        {
            **VALID,
            "slug": "velo",
            "owner": partner.pk,
            "themes": ["TRAN", "REGI"],
            "languages": ["FRA"],
            "temporal_start": "2024-01-01",
            "temporal_end": "2024-06-30",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    dataset = Dataset.objects.get(slug="velo")
    assert dataset.themes == ["TRAN", "REGI"]
    assert AuditEntry.objects.get(action="dataset.created", object_id=str(dataset.pk)).actor == staff
