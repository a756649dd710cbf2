"""Stored files follow their rows (django-cleanup): deleted once a deletion or a replacement is committed, for the
rows a deletion cascades to as well, and kept when the transaction is rolled back."""

import io

import pytest
from django.contrib import admin
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from PIL import Image

from datacity.audit.models import AuditEntry
from datacity.core.models import MembershipRole
from datacity.core.storage import public_storage
from datasets.distributions import distribution_add
from datasets.models import Dataset, Distribution
from partners import services
from partners.admin import PartnerAdmin
from partners.models import ExperimentationSite, Partner, SiteKind, SitePhoto
from tests.factories import DatasetFactory, PartnerFactory, PartnerMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

POINT = {"type": "Point", "coordinates": [-7.6186, 33.5731]}


def png(name: str, colour: tuple[int, int, int] = (12, 99, 180)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def csv(name: str = "counts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"station;count\nA;12\nB;7\n", content_type="text/csv")


@pytest.fixture(autouse=True)
def _fresh_storages(settings):
    """New in-memory storages for each test, so that what they hold is this test's files only."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"]},
        "public": {**settings.STORAGES["public"]},
    }


@pytest.fixture
def staff_client(client):
    # Staff get a TOTP authenticator from the factory: the two-factor rule lets them in.
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def partner() -> Partner:
    """A partner with a logo and a site with two photos: every file a deletion of the partner must remove."""
    partner = PartnerFactory.create(slug="casa-tram", name="Casa Tram", logo=png("logo.png"))
    site = services.site_create(
        partner=partner, actor=None, data={"name": "Tram line T1", "kind": SiteKind.TRAM_LINE, "geometry": POINT}
    )
    for n in range(2):
        services.site_photo_add(site=site, actor=None, image=png(f"view-{n}.png"), caption=f"View {n}")
    return partner


def partner_files(partner: Partner) -> list[str]:
    photos = SitePhoto.objects.filter(site__partner=partner).values_list("image", flat=True)
    return [partner.logo.name, *photos]


def in_public_storage(names: list[str]) -> list[bool]:
    return [public_storage().exists(name) for name in names]


def test_deleting_a_partner_in_the_admin_deletes_its_logo_and_photos_once_committed(
    staff_client, partner, django_capture_on_commit_callbacks
):
    names = partner_files(partner)
    assert len(names) == 3
    assert in_public_storage(names) == [True, True, True]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_client.post(reverse("admin:partners_partner_delete", args=[partner.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Partner.objects.filter(pk=partner.pk).exists()
    assert not ExperimentationSite.objects.exists()
    assert in_public_storage(names) == [True, True, True], "kept until the deletion is committed"

    for callback in callbacks:
        callback()
    assert in_public_storage(names) == [False, False, False]
    entry = AuditEntry.objects.get(action="partner.deleted")
    assert entry.object_id == str(partner.pk)


def test_deleting_a_dataset_in_the_admin_deletes_its_files_once_committed(
    staff_client, django_capture_on_commit_callbacks
):
    dataset = DatasetFactory.create()
    names = [
        distribution_add(dataset=dataset, upload=csv(f"v{n}.csv"), change_note="", actor=None).file.name
        for n in range(2)
    ]
    assert [default_storage.exists(name) for name in names] == [True, True]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_client.post(reverse("admin:datasets_dataset_delete", args=[dataset.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Distribution.objects.exists()
    assert [default_storage.exists(name) for name in names] == [True, True], "kept until the deletion is committed"

    for callback in callbacks:
        callback()
    assert [default_storage.exists(name) for name in names] == [False, False]
    assert AuditEntry.objects.filter(action="dataset.deleted", object_id=str(dataset.pk)).exists()


def test_a_partner_owning_datasets_is_not_deleted_and_keeps_every_file(
    staff_client, partner, django_capture_on_commit_callbacks
):
    """A partner's datasets are protected: its deletion is refused, so neither its files nor theirs go."""
    dataset = DatasetFactory.create(owner=partner)
    stored = distribution_add(dataset=dataset, upload=csv(), change_note="", actor=None).file.name
    names = partner_files(partner)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:partners_partner_delete", args=[partner.pk]), {"post": "yes"})
    assert response.status_code == 200  # the page naming the protected datasets
    assert Partner.objects.filter(pk=partner.pk).exists()
    assert Dataset.objects.filter(pk=dataset.pk).exists()
    assert in_public_storage(names) == [True, True, True]
    assert default_storage.exists(stored)


def test_a_rolled_back_deletion_keeps_the_files(partner, django_capture_on_commit_callbacks):
    names, pk = partner_files(partner), partner.pk
    staff = UserFactory.create(is_staff=True, is_superuser=True)

    @transaction.atomic
    def delete_then_fail() -> None:
        # The admin's own deletion path (an audited delete), then a failure before the commit.
        PartnerAdmin(Partner, admin.site).delete_service(instance=partner, actor=staff)
        assert not Partner.objects.filter(pk=pk).exists()
        raise RuntimeError("the transaction fails after the deletion")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        delete_then_fail()

    assert Partner.objects.filter(pk=pk).exists()
    assert SitePhoto.objects.filter(site__partner=pk).count() == 2
    assert in_public_storage(names) == [True, True, True]
    assert not AuditEntry.objects.filter(action="partner.deleted").exists()


def test_replacing_the_logo_on_the_profile_page_deletes_the_old_file_once_committed(
    client, partner, django_capture_on_commit_callbacks
):
    owner = PartnerMembershipFactory.create(partner=partner, role=MembershipRole.OWNER).user
    old = partner.logo.name
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            "/en/partners/casa-tram/edit/",
            {"description_fr": "Le tram.", "website": "", "logo": png("new-logo.png", (200, 30, 30))},
        )
    assert response.status_code == 302
    partner.refresh_from_db()
    new = partner.logo.name
    assert new != old
    assert in_public_storage([old, new]) == [True, True], "the old logo is kept until the change is committed"

    for callback in callbacks:
        callback()
    assert in_public_storage([old, new]) == [False, True]
    entry = AuditEntry.objects.get(action="partner.profile_updated")
    assert entry.details["changes"]["logo"]["from"] == old


def test_a_rolled_back_logo_replacement_keeps_the_old_file(partner, django_capture_on_commit_callbacks):
    old = partner.logo.name

    @transaction.atomic
    def replace_then_fail() -> None:
        services.partner_profile_update(partner=partner, actor=None, data={"logo": png("new-logo.png")})
        assert partner.logo.name != old
        raise RuntimeError("the transaction fails after the change")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        replace_then_fail()

    assert Partner.objects.get(pk=partner.pk).logo.name == old
    assert public_storage().exists(old)
