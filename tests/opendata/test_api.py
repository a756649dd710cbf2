"""The read-only API: the pages' visibility rules, no personal data, clear refusals, constant query counts."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from challenges.models import ChallengeStatus
from datacity.audit.models import AuditEntry
from datasets.models import AccessLevel
from startups.models import Outcome, PartnershipStage
from tests.factories import (
    ChallengeFactory,
    DatasetFactory,
    IndicatorFactory,
    MeasurementFactory,
    PartnerFactory,
    PartnershipFactory,
    PhaseFactory,
    ProgramFactory,
    SelectionFactory,
    ThemeFactory,
)

from .conftest import add_file, client_of

pytestmark = pytest.mark.django_db

LISTS = ["edition", "partner", "challenge", "selection", "result", "partnership", "dataset", "experiment"]


def body(response) -> str:
    return response.content.decode()


def every_list(client: Client) -> str:
    """Every list endpoint's answer, concatenated."""
    answers = []
    for name in LISTS:
        response = client.get(reverse(f"api:{name}-list"))
        assert response.status_code in {200, 403}, (name, response.status_code)
        answers.append(body(response))
    return "\n".join(answers)


def test_each_side_reads_its_own_objects_and_never_the_others(sides):
    for mine, theirs in ((sides.a, sides.b), (sides.b, sides.a)):
        client = client_of(mine.founder)
        seen = every_list(client)
        assert all(marker in seen for marker in mine.private), [m for m in mine.private if m not in seen]
        assert not [marker for marker in theirs.private if marker in seen]
        # Directly, each of the other's objects is a 404, as on the pages.
        for path in (
            reverse("api:experiment-detail", kwargs={"pk": theirs.selection.pk}),
            reverse("api:challenge-detail", kwargs={"slug": theirs.draft.slug}),
            reverse("api:dataset-detail", kwargs={"slug": theirs.dataset.slug}),
            reverse("api:partner-detail", kwargs={"slug": theirs.partner.slug}),
        ):
            assert client.get(path).status_code == 404, path
        assert client.get(reverse("api:experiment-detail", kwargs={"pk": mine.selection.pk})).status_code == 200


def test_a_refused_object_that_exists_is_audited(sides):
    client_of(sides.b.founder).get(reverse("api:experiment-detail", kwargs={"pk": sides.a.selection.pk}))
    refusal = AuditEntry.objects.filter(action="access.refused").latest("pk")
    assert refusal.object_id == str(sides.a.selection.pk)
    assert refusal.actor == sides.b.founder


def test_visitors_read_nothing_private_and_no_answer_names_a_person(sides):
    anonymous = every_list(Client())
    for one in (sides.a, sides.b):
        assert not [marker for marker in one.private if marker in anonymous]
    for one in (sides.a, sides.b):
        seen = every_list(client_of(one.founder))
        for person in (sides.a, sides.b):
            assert not [text for text in person.personal if text in seen + anonymous]


def test_experiments_need_a_login():
    response = Client().get(reverse("api:experiment-list"))
    assert response.status_code == 403
    assert response.json()["detail"]


def test_an_experiment_gives_its_indicators_measurements_and_status(sides):
    data = client_of(sides.a.founder).get(reverse("api:experiment-detail", kwargs={"pk": sides.a.selection.pk})).json()
    (indicator,) = data["indicators"]
    assert indicator["name"] == "Indicator aaa"
    assert indicator["baseline"] == "1000.0000"
    assert indicator["target"] == "700.0000"
    assert indicator["latest"] == "900.0000"
    assert [m["value"] for m in indicator["measurements"]] == ["900.0000"]
    assert set(indicator["measurements"][0]) == {"measured_on", "value"}  # not who recorded it, nor the source
    assert indicator["status"] in {"on_track", "at_risk"}


def test_results_say_what_came_of_each_experiment_only_once_published():
    program = ProgramFactory.create(results_published=False)
    selection = SelectionFactory.create(program=program, prototype_summary="A leak detector", outcome=Outcome.PILOT)
    MeasurementFactory.create(indicator=IndicatorFactory.create(selection=selection), value=Decimal(650))
    client = Client()
    selected = client.get(reverse("api:selection-detail", kwargs={"pk": selection.pk})).json()
    assert selected["prototype_summary"] is None
    assert selected["outcome"] is None
    assert client.get(reverse("api:result-detail", kwargs={"pk": selection.pk})).status_code == 404

    program.results_published = True
    program.save()
    result = client.get(reverse("api:result-detail", kwargs={"pk": selection.pk})).json()
    assert result["prototype_summary"]["fr"] == "A leak detector"
    assert result["outcome"] == "pilot"
    assert result["indicators"][0]["status"] == "achieved"  # 650 reaches a target of 700 from 1000
    edition = client.get(reverse("api:edition-detail", kwargs={"slug": program.slug})).json()
    assert edition["summary"] == {
        "applications_submitted": 0,
        "selected_startups": 1,
        "prototypes_tested": 1,
        "partnerships_signed": 0,
    }


def test_only_signed_partnerships_both_parties_publish_are_listed():
    shown = PartnershipFactory.create(
        stage=PartnershipStage.CONTRACT, startup_agrees_public=True, partner_agrees_public=True, value=Decimal(120000)
    )
    PartnershipFactory.create(
        stage=PartnershipStage.CONTRACT, startup_agrees_public=True, partner_agrees_public=False
    )  # the partner said no
    PartnershipFactory.create(stage=PartnershipStage.PILOT, startup_agrees_public=True, partner_agrees_public=True)
    rows = Client().get(reverse("api:partnership-list")).json()["results"]
    assert [(row["startup"], row["value"]) for row in rows] == [(shown.startup.name, "120000.00")]


def test_governed_files_are_described_without_a_download_address():
    public = DatasetFactory.create(access_level=AccessLevel.PUBLIC, contact_email="someone@example.org")
    governed = DatasetFactory.create(access_level=AccessLevel.PARTICIPANTS)
    for dataset in (public, governed):
        add_file(dataset)
    client = Client()
    open_file = client.get(reverse("api:dataset-detail", kwargs={"slug": public.slug})).json()["distributions"][0]
    assert open_file["download"].endswith(reverse("datasets:download", kwargs={"slug": public.slug, "version": 1}))
    governed_file = client.get(reverse("api:dataset-detail", kwargs={"slug": governed.slug})).json()
    assert governed_file["distributions"][0]["download"] is None
    assert governed_file["access_level"] == "participants"
    assert "someone@example.org" not in body(client.get(reverse("api:dataset-list")))


def test_filters_narrow_and_a_wrong_value_is_a_400_naming_the_filter():
    program = ProgramFactory.create()
    kept = ChallengeFactory.create(program=program)
    ChallengeFactory.create()
    client = Client()
    rows = client.get(reverse("api:challenge-list"), {"edition": program.slug}).json()["results"]
    assert [row["slug"] for row in rows] == [kept.slug]
    refused = client.get(reverse("api:dataset-list"), {"access_level": "secret\n" + "x" * 5000})
    assert refused.status_code == 400
    assert "access_level" in refused.json()
    assert client.get(reverse("api:challenge-list"), {"page": "999"}).status_code == 404
    assert client.get(reverse("api:challenge-list"), {"page": "x\x00y"}).status_code == 404


def test_texts_come_in_the_three_languages_whatever_the_language_asked():
    challenge = ChallengeFactory.create(title_fr="Fuites", title_ar="تسربات", title_en="Leaks")
    for language in ("fr", "ar", "en"):
        data = Client(headers={"accept-language": language}).get(
            reverse("api:challenge-detail", kwargs={"slug": challenge.slug})
        )
        assert data.json()["title"] == {"fr": "Fuites", "ar": "تسربات", "en": "Leaks"}


def test_other_sites_may_read_the_api():
    response = Client().get(reverse("api:edition-list"))
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response


def test_visitors_past_the_rate_are_told_to_wait(settings):
    settings.API_RATE_ANONYMOUS = "3/minute"
    client = Client()
    statuses = [client.get(reverse("api:edition-list")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get(reverse("api:edition-list")).json()["detail"]


def make(count: int) -> None:
    """`count` more of everything a list shows, each with its relations."""
    theme = ThemeFactory.create()
    for _ in range(count):
        program = ProgramFactory.create(results_published=True)
        PhaseFactory.create(program=program)
        sponsor = PartnerFactory.create()
        challenge = ChallengeFactory.create(program=program, themes=[theme], co_sponsors=[sponsor])
        ChallengeFactory.create(program=program, status=ChallengeStatus.DRAFT, owner=sponsor)
        selection = SelectionFactory.create(program=program, challenge=challenge, sponsor=sponsor)
        MeasurementFactory.create(indicator=IndicatorFactory.create(selection=selection))
        DatasetFactory.create(owner=sponsor, challenges=[challenge])
        PartnershipFactory.create(
            selection=selection, stage=PartnershipStage.CONTRACT, startup_agrees_public=True, partner_agrees_public=True
        )


@pytest.mark.parametrize("name", LISTS)
def test_a_list_makes_the_same_number_of_queries_whatever_its_length(name, sides):
    client = client_of(sides.a.founder)
    path = reverse(f"api:{name}-list")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    make(1)
    few = queries()
    make(4)
    assert queries() == few
