"""The open data files and their page: every file's columns documented, the same objects as the API, CSV a
spreadsheet opens safely, JSON that parses, streamed with a constant number of queries."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from datacity.opendata import files
from startups.models import Outcome, PartnershipStage
from tests.factories import (
    ChallengeFactory,
    DatasetFactory,
    IndicatorFactory,
    MeasurementFactory,
    PartnershipFactory,
    PhaseFactory,
    ProgramFactory,
    SelectionFactory,
    ThemeFactory,
)

from .conftest import add_file

pytestmark = pytest.mark.django_db


def download(name: str, extension: str) -> bytes:
    response = Client().get(reverse("opendata:file", kwargs={"name": name, "extension": extension}))
    assert response.status_code == 200
    assert response.streaming
    return response.getvalue()


def read_csv(name: str) -> list[dict[str, str]]:
    text = download(name, "csv").decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def header(name: str) -> list[str]:
    return next(csv.reader(io.StringIO(download(name, "csv").decode("utf-8")[1:])))


def populate() -> None:
    program = ProgramFactory.create(results_published=True, name_fr="Édition", name_ar="الدورة", name_en="Edition")
    PhaseFactory.create(program=program)
    challenge = ChallengeFactory.create(
        program=program, title_fr='=HYPERLINK("http://evil")', title_ar="تحدي", themes=[ThemeFactory.create()]
    )
    selection = SelectionFactory.create(program=program, challenge=challenge, outcome=Outcome.TESTED)
    indicator = IndicatorFactory.create(selection=selection, baseline=-5, target=-12, unit="°C")
    MeasurementFactory.create(indicator=indicator, value=-7)
    dataset = DatasetFactory.create(challenges=[challenge], keywords_fr="eau, fuites")
    add_file(dataset)
    PartnershipFactory.create(
        selection=selection, stage=PartnershipStage.CONTRACT, startup_agrees_public=True, partner_agrees_public=True
    )


@pytest.mark.parametrize("resource", files.RESOURCES, ids=lambda resource: resource.name)
def test_an_empty_csv_still_has_its_header_and_an_empty_json_is_an_empty_array(resource):
    assert header(resource.name) == files.columns(resource)
    assert json.loads(download(resource.name, "json")) == []


@pytest.mark.parametrize("resource", files.RESOURCES, ids=lambda resource: resource.name)
def test_every_column_of_every_file_is_documented_in_each_language(resource):
    populate()
    rows = read_csv(resource.name)
    assert rows, f"{resource.name}: the test data should give it a row"
    index = reverse("opendata:index")
    for language in ("", "/ar", "/en"):
        page = Client().get(f"{language}{index}")
        assert page.status_code == 200
        content = page.content.decode()
        section = content[content.index(f'data-resource="{resource.name}"') :]
        section = section[: section.index("</section>")]
        for column in rows[0]:
            assert f'<code dir="ltr">{column}</code>' in section, (resource.name, language, column)


def test_the_json_files_hold_the_api_objects():
    populate()
    client = Client()
    for resource in files.RESOURCES:
        if resource.rows is None:
            api = client.get(reverse(resource.api), {"page_size": 500}).json()["results"]
            assert json.loads(download(resource.name, "json")) == api, resource.name


def test_csv_cells_are_flattened_safe_for_spreadsheets_and_keep_arabic_and_numbers():
    populate()
    (challenge,) = read_csv("challenges")
    assert challenge["title_fr"] == '\'=HYPERLINK("http://evil")'  # a formula is neutralised
    assert challenge["title_ar"] == "تحدي"
    assert challenge["themes_fr"]
    (indicator,) = read_csv("indicators")
    assert (indicator["baseline"], indicator["target"], indicator["latest"]) == ("-5.0000", "-12.0000", "-7.0000")
    assert indicator["unit"] == "°C"
    (edition,) = [row for row in read_csv("editions") if row["results_published"] == "true"]
    assert (edition["name_fr"], edition["name_ar"], edition["name_en"]) == ("Édition", "الدورة", "Edition")
    assert edition["summary_selected_startups"] == "1"
    assert edition["summary_partnerships_signed"] == "1"
    (dataset,) = read_csv("datasets")
    assert dataset["keywords_fr"] == "eau, fuites"
    assert "phases" not in header("editions")  # a list of objects is in the JSON only


@pytest.mark.parametrize("name", ["challenges", "results", "datasets", "files"])
def test_a_file_is_read_with_the_same_number_of_queries_whatever_its_length(name):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            download(name, "csv")
            download(name, "json")
        return len(captured)

    populate()
    few = queries()
    for _ in range(3):
        populate()
    assert queries() == few


def test_an_unknown_file_is_a_404():
    client = Client()
    assert client.get("/open-data/people.csv").status_code == 404
    assert client.get("/open-data/challenges.xlsx").status_code == 404
