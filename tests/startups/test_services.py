"""Startup services: each write is audited with what changed; the rules hold whoever calls them."""

import pytest
from django.core.exceptions import ValidationError

from datacity.audit.models import AuditEntry
from datacity.core.models import MembershipRole
from startups import services
from startups.models import Selection, StartupMembership
from tests.factories import ChallengeFactory, ProgramFactory, StartupFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_creating_a_startup_makes_its_creator_owner_and_is_audited():
    founder = UserFactory.create()

    startup = services.startup_create(actor=founder, data={"name": "Kezakoo", "pitch_fr": "Former les applicateurs."})

    assert startup.slug == "kezakoo"
    assert StartupMembership.objects.get(startup=startup).role == MembershipRole.OWNER
    created = AuditEntry.objects.get(action="startup.created")
    assert created.actor == founder
    assert created.details["changes"]["name"] == {"from": None, "to": "Kezakoo"}
    assert AuditEntry.objects.get(action="startup.member_added").details["member"] == founder.email


def test_an_update_records_each_changed_field_from_and_to_and_nothing_when_nothing_changed():
    startup = StartupFactory.create(city="Casablanca")
    actor = UserFactory.create()

    services.startup_update(startup=startup, actor=actor, data={"city": "Rabat", "founded_year": 2016})
    services.startup_update(startup=startup, actor=actor, data={"city": "Rabat"})

    entries = AuditEntry.objects.filter(action="startup.updated")
    assert entries.count() == 1
    assert entries.get().details["changes"] == {"city": {"from": "Casablanca", "to": "Rabat"}}


def test_an_invalid_update_is_refused_and_leaves_no_trace():
    startup = StartupFactory.create(founded_year=2016)
    with pytest.raises(ValidationError):
        services.startup_update(startup=startup, actor=UserFactory.create(), data={"founded_year": 1200})
    startup.refresh_from_db()
    assert startup.founded_year == 2016
    assert not AuditEntry.objects.filter(action="startup.updated").exists()


def test_a_selection_must_be_for_a_challenge_of_its_edition():
    program = ProgramFactory.create()
    selection = Selection(program=program, startup=StartupFactory.create(), challenge=ChallengeFactory.create())
    with pytest.raises(ValidationError):
        services.selection_save(selection=selection, actor=UserFactory.create())
    assert not Selection.objects.exists()
    assert not AuditEntry.objects.filter(action="selection.created").exists()


def test_selections_are_created_and_deleted_on_record():
    program = ProgramFactory.create()
    staff = UserFactory.create(is_staff=True)
    selection = Selection(
        program=program, startup=StartupFactory.create(), challenge=ChallengeFactory.create(program=program)
    )

    services.selection_save(selection=selection, actor=staff)
    services.selection_delete(selection=selection, actor=staff)

    assert [e.action for e in AuditEntry.objects.order_by("pk")] == ["selection.created", "selection.deleted"]
    assert not Selection.objects.exists()
