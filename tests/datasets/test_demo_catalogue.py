"""The demo datasets' catalogue metadata: in three languages, idempotent, and a catalogue that validates."""

import pytest
from django.core.management import call_command
from pyshacl import validate

from datacity.audit.models import AuditEntry
from datacity.demo.catalogue import CATALOGUE, load_catalogue
from datasets.models import Dataset
from tests.datasets.test_catalogue import catalogue_graph, load_shapes, results
from tests.utils import translated

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
]


def test_the_demo_datasets_get_their_catalogue_metadata_once(client):
    call_command("load_demo", stdout=None)  # which gives the demo datasets their metadata
    entries = AuditEntry.objects.filter(action="dataset.updated").count()
    assert entries >= len(CATALOGUE)
    assert load_catalogue() == 0
    assert AuditEntry.objects.filter(action="dataset.updated").count() == entries
    tram = Dataset.objects.get(slug="frequentation-stations-tram")
    assert translated(tram, "keywords", "en") == "tram, ridership, stations, mobility"
    assert all(
        (translated(tram, "keywords", "fr"), translated(tram, "keywords", "ar"), tram.themes, tram.contact_email)
    )
    conforms, report, text = validate(
        catalogue_graph(client), shacl_graph=load_shapes("shapes.ttl", "range.ttl"), inference="none"
    )
    assert results(report, "Violation") == [], text
    assert conforms
