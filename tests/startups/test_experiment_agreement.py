"""The tripartite experimentation agreement: templates and offers, signatures by the three parties only and once each,
the notices, the gate it puts on data access and site bookings, and its page (roles, languages, query count)."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from datacity.audit.models import AuditEntry
from datacity.notifications.models import Notification
from datasets import access
from datasets.models import AccessLevel, AccessRequest, Distribution
from datasets.permissions import download_decision, file_access
from partners import services as partner_services
from partners.models import SiteKind
from startups import agreements, bookings
from startups.models import AgreementParty, AgreementSignature, ExperimentAgreement, SiteBooking
from tests.factories import (
    DatasetFactory,
    JuryMembershipFactory,
    PartnerMembershipFactory,
    SelectionFactory,
    StartupMembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

IP_CLAUSES = {
    "fr": "La startup conserve sa propriété intellectuelle.",
    "ar": "تحتفظ الشركة الناشئة بملكيتها الفكرية.",
    "en": "The startup keeps its intellectual property.",
}


@pytest.fixture
def world():
    """Startup A selected (not signed yet) with partner X as sponsor; a staff member of the program team; startup B
    not selected, partner Y not the sponsor, a juror."""
    w = SimpleNamespace()
    w.founder = StartupMembershipFactory.create()
    w.sponsor = PartnerMembershipFactory.create()
    w.selection = SelectionFactory.create(startup=w.founder.startup, sponsor=w.sponsor.partner, signed=False)
    w.staff = UserFactory.create(is_staff=True, is_superuser=True)
    w.outsider = StartupMembershipFactory.create()
    w.other_partner = PartnerMembershipFactory.create()
    w.juror = JuryMembershipFactory.create(program=w.selection.program).user
    w.template = agreements.template_publish(
        program=w.selection.program,
        actor=w.staff,
        text="Data, sites, confidentiality.",
        translations={f"ip_clause_{language}": clause for language, clause in IP_CLAUSES.items()},
    )
    return w


def offer(w) -> ExperimentAgreement:
    return agreements.agreement_offer(selection=w.selection, actor=w.staff)


def sign_all(w, agreement: ExperimentAgreement, parties=tuple(AgreementParty.values)) -> None:
    signers = {"city": w.staff, "partner": w.sponsor.user, "startup": w.founder.user}
    for party in parties:
        agreements.agreement_sign(agreement=agreement, user=signers[party], party=party)


def page_url(w, prefix: str = "/en") -> str:
    return f"{prefix}/experiments/{w.selection.pk}/agreement/"


# --- Templates and offers ---------------------------------------------------------------------------------------------


def test_templates_are_versioned_and_the_offer_takes_the_latest(world):
    second = agreements.template_publish(program=world.selection.program, actor=world.staff, text="Version two.")
    assert (world.template.version, second.version) == (1, 2)
    assert second.ip_clause.startswith("The startup keeps the intellectual property")
    agreement = offer(world)
    assert agreement.template == second
    assert offer(world) == agreement  # idempotent
    assert agreements.agreement_for(world.selection) == agreement
    notices = Notification.objects.filter(kind="experiment.agreement_to_sign", object_id=agreement.pk)
    assert {notice.recipient for notice in notices} == {world.founder.user, world.sponsor.user, world.staff}


def test_only_staff_publish_and_offer_and_an_edition_without_template_is_refused(world):
    with pytest.raises(agreements.AgreementRefused) as refused:
        agreements.template_publish(program=world.selection.program, actor=world.founder.user, text="Mine")
    assert refused.value.details["reason_code"] == "not_staff"
    other = SelectionFactory.create(signed=False)
    with pytest.raises(agreements.AgreementRefused) as refused:
        agreements.agreement_offer(selection=other, actor=world.staff)
    assert refused.value.details["reason_code"] == "no_template"
    assert not ExperimentAgreement.objects.filter(selection=other).exists()


# --- Signatures -------------------------------------------------------------------------------------------------------


def test_a_person_of_none_of_the_parties_cannot_sign_and_nothing_is_stored(world):
    agreement = offer(world)
    for user, party in [
        (world.outsider.user, "startup"),
        (world.other_partner.user, "partner"),
        (world.juror, "city"),
        (world.founder.user, "partner"),
        (world.sponsor.user, "city"),
    ]:
        with pytest.raises(agreements.AgreementRefused) as refused, translation.override("en"):
            agreements.agreement_sign(agreement=agreement, user=user, party=party)
        assert refused.value.details["reason_code"] == "not_a_party"
        assert "only its own people sign" in str(refused.value)
    refusals = AuditEntry.objects.filter(
        action="agreement.signature_refused", object_id=str(agreement.pk), details__reason_code="not_a_party"
    )
    assert refusals.count() == 5
    assert not AgreementSignature.objects.exists()


def test_signing_twice_for_a_party_is_refused(world):
    agreement = offer(world)
    sign_all(world, agreement, parties=("startup",))
    teammate = StartupMembershipFactory.create(startup=world.founder.startup)
    for user in (world.founder.user, teammate.user):
        with pytest.raises(agreements.AgreementRefused) as refused:
            agreements.agreement_sign(agreement=agreement, user=user, party="startup")
        assert refused.value.details["reason_code"] == "already_signed"
    assert list(agreement.signatures.values_list("party", "user")) == [("startup", world.founder.user.pk)]
    entry = AuditEntry.objects.get(action="agreement.signed")
    assert entry.details == {"party": "startup", "version": 1}


def test_the_third_signature_puts_it_in_force_and_tells_every_party_once(world):
    agreement = offer(world)
    teammate = StartupMembershipFactory.create(startup=world.founder.startup)
    sign_all(world, agreement, parties=("city", "partner"))
    assert not agreements.agreement_in_force(world.founder.startup_id)
    assert not Notification.objects.filter(kind="experiment.agreement_in_force").exists()
    sign_all(world, agreement, parties=("startup",))
    assert agreements.agreement_in_force(world.founder.startup_id, world.selection.program_id)
    assert world.founder.startup in agreements.startups_with_agreement_in_force()
    notices = Notification.objects.filter(kind="experiment.agreement_in_force", object_id=agreement.pk)
    recipients = [notice.recipient for notice in notices]
    assert sorted(user.pk for user in recipients) == sorted(
        user.pk for user in (world.founder.user, teammate.user, world.sponsor.user, world.staff)
    )


# --- The gate on data and sites -----------------------------------------------------------------------------------


def add_file(dataset) -> Distribution:
    content = b"station,riders\nA,12\n"
    distribution = Distribution(dataset=dataset, version=1, name="f.csv", format="CSV", media_type="text/csv")
    distribution.size, distribution.sha256 = len(content), "0" * 64
    distribution.file.save("upload.csv", ContentFile(content), save=False)
    distribution.save()
    return distribution


def test_data_access_waits_for_the_three_signatures(world, client):
    owner = PartnerMembershipFactory.create()
    participants = DatasetFactory.create(owner=owner.partner, access_level=AccessLevel.PARTICIPANTS, slug="riders")
    add_file(participants)
    restricted = DatasetFactory.create(owner=owner.partner, access_level=AccessLevel.RESTRICTED, slug="meters")
    public = DatasetFactory.create(owner=owner.partner, access_level=AccessLevel.PUBLIC, slug="open")
    member = world.founder.user
    client.force_login(member)

    with translation.override("en"):
        shown = file_access(member, participants)
        summary = str(shown.summary)
    assert not shown.allowed
    assert summary == "Your startup's experimentation agreement is not yet signed by all three parties."
    assert shown.agreement_url == f"/en/experiments/{world.selection.pk}/agreement/"  # in the language asked
    assert not download_decision(member, participants).allowed
    response = client.get("/en/datasets/riders/files/1/download/")
    assert response.status_code == 403
    assert b"experiment-agreement" in response.content
    with pytest.raises(access.AccessRefused) as refused:
        access.access_request(dataset=restricted, startup=world.founder.startup, actor=member, purpose="Study")
    assert refused.value.details["reason_code"] == "no_agreement"
    assert not AccessRequest.objects.exists()
    # Unaffected: public data, and the owner's own members.
    assert file_access(member, public).allowed
    assert download_decision(owner.user, participants).allowed

    agreement = offer(world)
    sign_all(world, agreement, parties=("city", "partner"))
    assert not download_decision(member, participants).allowed
    sign_all(world, agreement, parties=("startup",))

    assert file_access(member, participants).allowed
    assert client.get("/en/datasets/riders/files/1/download/").status_code == 200
    request = access.access_request(dataset=restricted, startup=world.founder.startup, actor=member, purpose="Study")
    assert request.pk is not None
    assert not file_access(AnonymousUser(), participants).allowed


def test_site_bookings_wait_for_the_three_signatures(world):
    owner = PartnerMembershipFactory.create()
    site = partner_services.site_create(
        partner=owner.partner,
        actor=None,
        data={
            "name": "T1",
            "kind": SiteKind.TRAM_LINE,
            "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        },
    )
    today = timezone.localdate()
    partner_services.site_availability_set(site=site, actor=None, windows=[(today, today + timedelta(days=60))])
    starts_at = (timezone.now() + timedelta(days=3)).replace(microsecond=0)

    def book():
        return bookings.booking_request(
            site=site,
            startup=world.founder.startup,
            actor=world.founder.user,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            purpose="Sensors",
        )

    with pytest.raises(bookings.BookingRefused) as refused:
        book()
    assert refused.value.details["reason_code"] == "no_agreement"
    assert not SiteBooking.objects.exists()
    sign_all(world, offer(world))
    assert book().pk is not None


# --- The page ---------------------------------------------------------------------------------------------------------


def test_each_party_sees_its_own_sign_button_and_signs_from_the_page(world, client):
    offer(world)
    for user, party, label in [
        (world.founder.user, "startup", "Sign for The startup"),
        (world.sponsor.user, "partner", "Sign for The sponsoring partner"),
        (world.staff, "city", "Sign for The city (program team)"),
    ]:
        client.force_login(user)
        page = client.get(page_url(world)).content.decode()
        assert label in page
        assert page.count('data-testid="sign"') == 1
        response = client.post(page_url(world), {"party": party}, follow=True)
        assert "Your signature is recorded." in response.content.decode()
        assert 'data-testid="sign"' not in response.content.decode()
    assert agreements.agreement_in_force(world.founder.startup_id)


def test_a_refused_signature_is_shown_as_a_message(world, client):
    offer(world)
    client.force_login(world.founder.user)
    response = client.post(page_url(world), {"party": "city"}, follow=True)
    assert "only its own people sign" in response.content.decode()
    assert not AgreementSignature.objects.exists()


def test_staff_offer_the_agreement_from_the_page(world, client):
    client.force_login(world.founder.user)
    assert 'data-testid="offer"' not in client.get(page_url(world)).content.decode()
    client.force_login(world.staff)
    assert 'data-testid="offer"' in client.get(page_url(world)).content.decode()
    client.post(page_url(world), {"action": "offer"})
    assert agreements.agreement_for(world.selection) is not None


def test_others_get_404_and_visitors_the_login_page(world, client):
    offer(world)
    assert client.get(page_url(world)).status_code == 302
    for user in (world.outsider.user, world.other_partner.user, world.juror):
        client.force_login(user)
        assert client.get(page_url(world)).status_code == 404
        assert client.post(page_url(world), {"party": "startup"}).status_code == 404
    assert AuditEntry.objects.filter(action="access.refused", actor=world.juror).exists()


def test_the_page_makes_as_many_queries_with_0_1_and_3_signatures(world, client):
    agreement = offer(world)
    client.force_login(world.founder.user)
    counts = []
    for parties in [(), ("city",), ("partner", "startup")]:
        sign_all(world, agreement, parties=parties)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page_url(world))
            assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2], counts


@pytest.mark.parametrize(("prefix", "language"), [("", "fr"), ("/ar", "ar"), ("/en", "en")])
def test_the_ip_clause_shows_in_the_visitors_language(world, client, prefix, language):
    offer(world)
    client.force_login(world.founder.user)
    page = client.get(page_url(world, prefix)).content.decode()
    assert IP_CLAUSES[language] in page
    assert "Data, sites, confidentiality." in page  # one language given: the others fall back to it
