"""Two sides that must never read each other: each a founder whose startup runs an experiment (its results not
published), who also belongs to a partner kept off the public site, with a draft challenge and a restricted dataset.
Every private object carries its side's marker, so a leak shows as the marker in an answer to the other side."""

from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from challenges.models import ChallengeStatus
from datasets.models import AccessLevel, Distribution
from tests.factories import (
    ChallengeFactory,
    DatasetFactory,
    IndicatorFactory,
    MeasurementFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgramFactory,
    SelectionFactory,
    StartupFactory,
    StartupMembershipFactory,
    UserFactory,
)


def side(marker: str, program) -> SimpleNamespace:
    founder = UserFactory.create(email=f"founder-{marker}@example.org", full_name=f"Founder{marker} Person")
    startup = StartupFactory.create(name=f"Startup {marker}", slug=f"startup-{marker}")
    StartupMembershipFactory.create(startup=startup, user=founder)
    hidden_partner = PartnerFactory.create(name=f"Partner {marker}", slug=f"partner-{marker}", is_public=False)
    PartnerMembershipFactory.create(partner=hidden_partner, user=founder)
    selection = SelectionFactory.create(program=program, startup=startup)
    indicator = IndicatorFactory.create(selection=selection, name=f"Indicator {marker}")
    MeasurementFactory.create(indicator=indicator, source=f"Source {marker}")
    draft = ChallengeFactory.create(
        program=program, owner=selection.sponsor, slug=f"draft-{marker}", status=ChallengeStatus.DRAFT
    )
    PartnerMembershipFactory.create(partner=selection.sponsor, user=founder)
    dataset = DatasetFactory.create(
        owner=hidden_partner,
        slug=f"dataset-{marker}",
        access_level=AccessLevel.RESTRICTED,
        contact_name=f"Contact {marker}",
        contact_email=f"contact-{marker}@example.org",
    )
    return SimpleNamespace(
        marker=marker,
        founder=founder,
        startup=startup,
        partner=hidden_partner,
        selection=selection,
        draft=draft,
        dataset=dataset,
        # What only this side may read, and what no one reads anywhere (people).
        private=[
            f"startup-{marker}",
            f"partner-{marker}",
            f"draft-{marker}",
            f"dataset-{marker}",
            f"Indicator {marker}",
        ],
        personal=[founder.email, f"Founder{marker}", f"Contact {marker}", f"contact-{marker}@example.org"],
    )


@pytest.fixture
def sides(db):
    # An edition whose results are not published: its startups' experiments are their parties' alone. The startups
    # are selected there, yet their slugs are private: the edition is not published.
    program = ProgramFactory.create(is_published=False, results_published=False)
    return SimpleNamespace(a=side("aaa", program), b=side("bbb", program), program=program)


def add_file(dataset) -> None:
    """A first version of a small CSV file in `dataset`."""
    Distribution.objects.create(
        dataset=dataset,
        version=1,
        file=ContentFile(b"a,b\n1,2\n", name="data.csv"),
        name="data.csv",
        format="CSV",
        media_type="text/csv",
        size=8,
        sha256="0" * 64,
    )


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
