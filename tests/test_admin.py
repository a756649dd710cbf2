"""The Django admin, where municipal staff run the program: every page opens, lists stay cheap, logos are checked.

Editions, phases and invitations have their own module (test_admin_program.py)."""

import io
import os

import pytest
from django.contrib import admin
from django.core.files.storage import storages
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from partners.models import Partner
from tests.factories import ChallengeFactory, PartnerFactory, ProgramFactory, ThemeFactory, UserFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    return client


def test_every_admin_list_and_add_page_opens_on_the_demo_data(staff_client, rf):
    call_command("load_demo")
    request = rf.get("/admin/")
    request.user = UserFactory.build(is_staff=True, is_superuser=True)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert staff_client.get(changelist).status_code == 200, changelist
        if model_admin.has_add_permission(request):
            add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
            assert staff_client.get(add).status_code == 200, add
        first = model._default_manager.first()
        if first is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            assert staff_client.get(change).status_code == 200, change


def test_challenge_changelist_query_count_is_constant(staff_client):
    program = ProgramFactory.create()

    def grow(n):
        while program.challenges.count() < n:
            ChallengeFactory.create(program=program, themes=[ThemeFactory.create()])

    assert_constant_queries(staff_client, reverse("admin:challenges_challenge_changelist"), grow, at_most=12)


def png_bytes(width: int, height: int) -> bytes:
    """A real PNG of random pixels: incompressible, so its size grows with its area."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(buffer, format="PNG")
    return buffer.getvalue()


def stored_files(path: str = "") -> set[str]:
    """Every file in the public storage, where logos go (it outlives a test: compare before and after, never
    against empty)."""
    try:
        directories, files = storages["public"].listdir(path)
    except FileNotFoundError:
        return set()
    found = {f"{path}{name}" for name in files}
    for directory in directories:
        found |= stored_files(f"{path}{directory}/")
    return found


def partner_form(logo) -> dict:
    return {
        "name_fr": "Lydec",
        "name_ar": "",
        "name_en": "",
        "slug": "lydec",
        "kind": "company",
        "description_fr": "Eau et électricité.",
        "description_ar": "",
        "description_en": "",
        "website": "",
        "is_public": "on",
        "logo": logo,
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }


def test_an_oversized_logo_is_refused_before_anything_is_stored(staff_client):
    big = io.BytesIO(png_bytes(1000, 1000))
    big.name = "logo.png"
    assert len(big.getvalue()) > 2 * 1024 * 1024

    before = stored_files()

    response = staff_client.post(reverse("admin:partners_partner_add"), partner_form(big))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert [error.code for error in errors["logo"]] == ["file_too_large"]
    assert 'value="Lydec"' in response.content.decode()
    assert not Partner.objects.exists()
    assert stored_files() == before


def test_a_logo_of_the_wrong_type_is_refused(staff_client):
    svg = io.BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    svg.name = "logo.svg"
    before = stored_files()
    response = staff_client.post(reverse("admin:partners_partner_add"), partner_form(svg))
    assert response.status_code == 200
    assert "logo" in response.context["adminform"].form.errors
    assert stored_files() == before
    assert not Partner.objects.exists()


def test_a_small_logo_is_stored_under_a_server_generated_name(staff_client):
    small = io.BytesIO(png_bytes(64, 64))
    small.name = "../../etc/my logo.png"
    response = staff_client.post(reverse("admin:partners_partner_add"), partner_form(small))
    assert response.status_code == 302
    partner = Partner.objects.get()
    assert partner.logo.name.startswith("logos/")
    assert ".." not in partner.logo.name
    assert partner.logo.storage.exists(partner.logo.name)
    assert type(storages["public"]).__name__ == "InMemoryStorage"


def test_partner_admin_refuses_a_duplicate_slug(staff_client):
    PartnerFactory.create(slug="lydec")
    response = staff_client.post(reverse("admin:partners_partner_add"), partner_form(""))
    assert response.status_code == 200
    assert Partner.objects.count() == 1
