"""The demo edition: complete, idempotent, and its accounts never usable where demo accounts are off."""

from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command

from challenges.models import Challenge, Phase, Program
from datacity.demo import content
from partners.models import Partner
from startups.models import Selection, Startup
from tests.utils import translated

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ("accounts", "account", "mfa", "auth", "partners", "challenges", "startups", "datasets")


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the demo touches, all columns included."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for app_label in DOMAIN_APPS:
        for model in apps.get_app_config(app_label).get_models(include_auto_created=True):
            rows[model._meta.db_table] = list(model._default_manager.order_by("pk").values_list())
    return rows


def test_load_demo_twice_leaves_the_same_rows():
    call_command("load_demo", stdout=None)
    first = snapshot()
    call_command("load_demo")
    assert snapshot() == first


def test_demo_edition_matches_the_record():
    call_command("load_demo")
    program = Program.objects.get(slug="datacity-casablanca-2017")
    assert program.is_published
    assert (program.ends_on.year * 12 + program.ends_on.month) - (
        program.starts_on.year * 12 + program.starts_on.month
    ) == 8
    assert Phase.objects.filter(program=program).count() == 7
    assert set(Partner.objects.values_list("name_fr", flat=True)) >= {
        "RATP Dev",
        "Casa Tram",
        "inwi",
        "Lydec",
        "Michelin",
        "LafargeHolcim",
        "Ville de Casablanca",
        "NUMA",
    }
    assert Selection.objects.filter(program=program).count() == 8
    kezakoo = Startup.objects.get(slug="kezakoo")
    assert "applicateurs du bâtiment" in translated(kezakoo, "pitch", "fr")
    assert Challenge.objects.published().filter(program=program).count() >= 4
    # Whatever the record does not say is marked as fictional.
    for startup in Startup.objects.exclude(slug="kezakoo"):
        assert "(fictive)" in startup.name
    for challenge in Challenge.objects.all():
        assert translated(challenge, "problem_statement", "fr").startswith("Démo")


def test_demo_accounts_log_in_where_enabled_and_never_where_disabled(settings):
    call_command("load_demo")
    email = content.DEMO_ACCOUNTS[0][0]
    assert authenticate(email=email, password=content.DEMO_PASSWORD) is not None

    settings.DEMO_ACCOUNTS_ENABLED = False
    assert authenticate(email=email, password=content.DEMO_PASSWORD) is None


def test_load_demo_creates_no_account_where_demo_accounts_are_disabled(settings):
    from django.contrib.auth import get_user_model

    settings.DEMO_ACCOUNTS_ENABLED = False
    call_command("load_demo")
    assert not get_user_model().objects.exists()
    assert Program.objects.exists()


def test_demo_pages_render(client):
    call_command("load_demo")
    for url in content.PUBLIC_PAGES:
        assert client.get(url).status_code == 200, url


def test_demo_staff_and_jury_come_enrolled_in_two_factor_and_can_work():
    from allauth.mfa.models import Authenticator

    call_command("load_demo")
    enrolled = set(Authenticator.objects.values_list("user__email", flat=True))
    assert enrolled == {"staff@demo.example.org", "jury@demo.example.org"}
