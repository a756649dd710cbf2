"""A partner's owners edit its public profile: in three languages, through an audited service, owners only."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from datacity.audit.models import AuditEntry
from datacity.core.models import MembershipRole
from tests.factories import PartnerFactory, PartnerMembershipFactory, UserFactory
from tests.utils import assert_constant_queries, translated

pytestmark = pytest.mark.django_db


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (12, 99, 180)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def owner():
    return PartnerMembershipFactory.create(partner__slug="lydec", partner__name="Lydec", role=MembershipRole.OWNER).user


def test_an_owner_edits_the_public_profile(client, owner):
    client.force_login(owner)
    response = client.post(
        "/en/partners/lydec/edit/",
        {
            "description_fr": "Eau et électricité à Casablanca.",
            "description_ar": "الماء والكهرباء في الدار البيضاء.",
            "description_en": "Water and electricity in Casablanca.",
            "website": "lydec.ma",
            "logo": SimpleUploadedFile("logo.png", png(), content_type="image/png"),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/partners/lydec/"
    page = client.get("/en/partners/lydec/").content.decode()
    assert "Water and electricity in Casablanca." in page
    assert "/logos/" in page
    assert "الماء والكهرباء" in client.get("/ar/partners/lydec/").content.decode()
    entry = AuditEntry.objects.get(action="partner.profile_updated")
    assert entry.actor == owner
    assert entry.details["changes"]["website"]["to"] == "https://lydec.ma"


def test_errors_re_render_the_form_with_what_was_typed(client, owner):
    client.force_login(owner)
    response = client.post("/en/partners/lydec/edit/", {"description_en": "Our words, kept.", "website": "not a url"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Our words, kept." in html
    assert "Please correct the errors below." in html
    assert not AuditEntry.objects.filter(action="partner.profile_updated").exists()


def test_the_arabic_description_is_written_right_to_left(client, owner):
    client.force_login(owner)
    html = client.get("/en/partners/lydec/edit/").content.decode()
    textarea = re.search(r'<textarea[^>]*name="description_ar"[^>]*>', html)
    assert textarea is not None, html
    assert 'dir="rtl"' in textarea.group()


def test_owners_find_the_page_from_my_space_and_the_partner_page(client, owner):
    client.force_login(owner)
    assert "/en/partners/lydec/edit/" in client.get("/en/me/").content.decode()
    assert "/en/partners/lydec/edit/" in client.get("/en/partners/lydec/").content.decode()


def test_plain_members_and_others_do_not_get_it(client, owner):
    partner = owner.partners.get()
    member = PartnerMembershipFactory.create(partner=partner, role=MembershipRole.MEMBER).user
    client.force_login(member)
    assert "/en/partners/lydec/edit/" not in client.get("/en/me/").content.decode()
    assert "/en/partners/lydec/edit/" not in client.get("/en/partners/lydec/").content.decode()
    assert client.get("/en/partners/lydec/edit/").status_code == 404
    client.force_login(UserFactory.create())
    assert client.post("/en/partners/lydec/edit/", {"description_en": "Taken over"}).status_code == 404
    partner.refresh_from_db()
    assert partner.description_en != "Taken over"
    assert AuditEntry.objects.filter(action="access.refused", object_id=str(partner.pk)).count() == 2
    client.logout()
    assert client.get("/en/partners/lydec/edit/").status_code == 302


def test_the_edit_page_query_count_is_constant(client, owner):
    partner = owner.partners.get()
    client.force_login(owner)

    def grow(n):
        while partner.memberships.count() < n:
            PartnerMembershipFactory.create(partner=partner)
            PartnerMembershipFactory.create(user=owner, role=MembershipRole.OWNER)

    assert_constant_queries(client, "/partners/lydec/edit/", grow, at_most=8)


def test_an_other_partner_is_untouched(client, owner):
    other = PartnerFactory.create(slug="other", description_en="Theirs")
    client.force_login(owner)
    assert client.post("/en/partners/other/edit/", {"description_en": "Mine"}).status_code == 404
    other.refresh_from_db()
    assert translated(other, "description", "en") == "Theirs"
