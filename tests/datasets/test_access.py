"""Access to the files of datasets: the rule per access level, requests and decisions, grants that end or are
revoked, versioned data-use agreements, the download log, and the S3 path through a signed URL."""

from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from datacity.audit.models import AuditEntry
from datacity.notifications.models import Notification
from datasets import access
from datasets.models import (
    AccessGrant,
    AccessLevel,
    AccessRequest,
    AccessRequestStatus,
    AgreementAcceptance,
    DataUseAgreement,
    Distribution,
    DownloadLog,
)
from datasets.permissions import download_decision, file_access
from tests.factories import (
    DatasetFactory,
    PartnerMembershipFactory,
    SelectionFactory,
    StartupMembershipFactory,
)
from tests.test_storage_s3 import (  # noqa: F401 (fixtures)
    DIRECT,
    aws_environment,
    bucket,
    production_files,
    public_endpoint,
    s3_client,
    s3_endpoint,
    s3_storage,
)

pytestmark = pytest.mark.django_db


def add_file(dataset, *, version: int = 1, content: bytes = b"station,riders\nA,12\n") -> Distribution:
    distribution = Distribution(
        dataset=dataset, version=version, name=f"ridership-v{version}.csv", format="CSV", media_type="text/csv"
    )
    distribution.size = len(content)
    distribution.sha256 = "0" * 64
    distribution.file.save("upload.csv", ContentFile(content), save=False)
    distribution.save()
    return distribution


@pytest.fixture
def world():
    """A partner with a restricted dataset and its NDA, a selected startup (A), one not selected (B), another
    partner."""

    w = SimpleNamespace()
    w.owner = PartnerMembershipFactory.create()
    w.other_partner = PartnerMembershipFactory.create()
    w.dataset = DatasetFactory.create(owner=w.owner.partner, access_level=AccessLevel.RESTRICTED, slug="meters")
    w.file = add_file(w.dataset)
    w.member = StartupMembershipFactory.create()
    w.teammate = StartupMembershipFactory.create(startup=w.member.startup)
    w.selection = SelectionFactory.create(startup=w.member.startup)
    w.outsider = StartupMembershipFactory.create()
    w.agreement = access.agreement_publish(dataset=w.dataset, text="Use only for the program.", actor=w.owner.user)
    return w


def grant_to(w, **kwargs) -> AccessGrant:
    request = access.access_request(dataset=w.dataset, startup=w.member.startup, actor=w.member.user, purpose="Study")
    return access.access_approve(request=request, actor=w.owner.user, **kwargs)


def end_now(grant: AccessGrant) -> None:
    """The grant's end date passes (as if time went by)."""
    now = timezone.now()
    AccessGrant.objects.filter(pk=grant.pk).update(
        starts_at=now - timedelta(days=1), ends_at=now - timedelta(seconds=1)
    )


def download_url(dataset, version: int = 1) -> str:
    return f"/en/datasets/{dataset.slug}/files/{version}/download/"


@pytest.mark.parametrize("level", [AccessLevel.PUBLIC, AccessLevel.PARTICIPANTS, AccessLevel.RESTRICTED])
def test_the_rule_per_access_level(world, level):
    world.dataset.access_level = level
    world.dataset.save()
    expected = {
        "anonymous": level == AccessLevel.PUBLIC,
        "selected": level in (AccessLevel.PUBLIC, AccessLevel.PARTICIPANTS),
        "not_selected": level == AccessLevel.PUBLIC,
        "owner": True,
        "other_partner": level == AccessLevel.PUBLIC,
    }
    from django.contrib.auth.models import AnonymousUser

    users = {
        "anonymous": AnonymousUser(),
        "selected": world.member.user,
        "not_selected": world.outsider.user,
        "owner": world.owner.user,
        "other_partner": world.other_partner.user,
    }
    for who, user in users.items():
        assert file_access(user, world.dataset).allowed is expected[who], who
        assert download_decision(user, world.dataset).allowed is expected[who], who


def test_a_selected_member_gets_a_request_link_others_do_not(world):
    assert file_access(world.member.user, world.dataset).request_url.endswith("/datasets/meters/request-access/")
    assert file_access(world.outsider.user, world.dataset).request_url == ""


def test_request_approve_accept_download_writes_exactly_one_log_row(world, client):
    client.force_login(world.member.user)
    response = client.post("/en/datasets/meters/request-access/", {"startup": world.member.startup.pk, "purpose": "A"})
    assert response.status_code == 302
    request = AccessRequest.objects.get()
    assert request.status == AccessRequestStatus.REQUESTED
    assert Notification.objects.filter(kind="dataset.access_requested", recipient=world.owner.user).count() == 1

    client.force_login(world.owner.user)
    page = client.get(f"/en/datasets/requests/{world.owner.partner.slug}/")
    assert page.status_code == 200
    response = client.post(
        f"/en/datasets/requests/{world.owner.partner.slug}/", {"request": request.pk, "decision": "approve"}
    )
    assert response.status_code == 302
    grant = AccessGrant.objects.get()
    request.refresh_from_db()
    assert request.status == AccessRequestStatus.APPROVED
    # By default, the end of the edition the startup is selected in, at 23:59:59 in its time zone.
    program = world.selection.program
    ends = timezone.localtime(grant.ends_at, program.time_zone)
    assert (ends.date(), ends.hour, ends.minute, ends.second) == (program.ends_on, 23, 59, 59)
    decided = Notification.objects.filter(kind="dataset.access_decided")
    assert set(decided.values_list("recipient", flat=True)) == {world.member.user.pk, world.teammate.user.pk}

    # The teammate (the grant is for the team) must accept the NDA before the first download.
    client.force_login(world.teammate.user)
    response = client.get(download_url(world.dataset))
    assert response.status_code == 302
    assert response["Location"].startswith("/en/datasets/meters/agreement/")
    assert DownloadLog.objects.count() == 0
    assert client.get("/en/datasets/meters/agreement/").status_code == 200
    response = client.post("/en/datasets/meters/agreement/", {"next": download_url(world.dataset)})
    assert response.status_code == 302
    assert AgreementAcceptance.objects.filter(user=world.teammate.user, agreement=world.agreement).count() == 1

    response = client.get(download_url(world.dataset))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"station,riders\nA,12\n"
    log = DownloadLog.objects.get()
    assert (log.user, log.startup, log.distribution, log.grant, log.agreement) == (
        world.teammate.user,
        world.member.startup,
        world.file,
        grant,
        world.agreement,
    )

    client.force_login(world.owner.user)
    log_page = client.get(f"/en/datasets/downloads/{world.owner.partner.slug}/")
    assert log_page.status_code == 200
    assert f'data-download="{log.pk}"'.encode() in log_page.content
    export = client.get(f"/en/datasets/downloads/{world.owner.partner.slug}/?format=csv")
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert len(lines) == 2
    assert world.teammate.user.email in lines[1]
    assert client.get(f"/en/datasets/downloads/{world.other_partner.partner.slug}/").status_code == 404


def test_a_grant_that_ends_stops_downloads_at_once(world, client):
    grant = grant_to(world)
    access.agreement_accept(agreement=world.agreement, user=world.member.user, startup=world.member.startup)
    client.force_login(world.member.user)
    assert client.get(download_url(world.dataset)).status_code == 200
    end_now(grant)
    assert client.get(download_url(world.dataset)).status_code == 403
    assert DownloadLog.objects.count() == 1


def test_a_revocation_stops_downloads_at_once_and_tells_the_team(world, client):
    grant = grant_to(world)
    access.agreement_accept(agreement=world.agreement, user=world.member.user, startup=world.member.startup)
    client.force_login(world.owner.user)
    response = client.post(
        f"/en/datasets/requests/{world.owner.partner.slug}/",
        {"grant": grant.pk, "decision": "revoke", "reason": "Misuse"},
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    revoked = Notification.objects.filter(kind="dataset.access_revoked")
    assert set(revoked.values_list("recipient", flat=True)) == {world.member.user.pk, world.teammate.user.pk}
    client.force_login(world.member.user)
    assert client.get(download_url(world.dataset)).status_code == 403
    assert DownloadLog.objects.count() == 0


def test_a_new_agreement_version_must_be_accepted_again(world, client):
    grant_to(world)
    access.agreement_accept(agreement=world.agreement, user=world.member.user, startup=world.member.startup)
    client.force_login(world.member.user)
    assert client.get(download_url(world.dataset)).status_code == 200
    new = access.agreement_publish(dataset=world.dataset, text="Version two.", actor=world.owner.user)
    assert new.version == 2
    response = client.get(download_url(world.dataset))
    assert response.status_code == 302
    assert response["Location"].startswith("/en/datasets/meters/agreement/")
    assert DownloadLog.objects.count() == 1
    assert download_decision(world.member.user, world.dataset).agreement_to_accept == new


def test_restricted_data_without_an_accepted_agreement_is_refused_and_audited(world, client):
    grant_to(world)
    client.force_login(world.member.user)
    client.get(download_url(world.dataset))
    assert DownloadLog.objects.count() == 0
    entry = AuditEntry.objects.get(action="dataset.download_refused")
    assert (entry.actor, entry.details["why"]) == (world.member.user, "agreement")


@pytest.mark.parametrize("who", ["anonymous", "outsider", "other_partner"])
def test_a_refused_download_leaves_an_audit_entry(world, client, who):
    user = {"anonymous": None, "outsider": world.outsider.user, "other_partner": world.other_partner.user}[who]
    if user is not None:
        client.force_login(user)
    assert client.get(download_url(world.dataset)).status_code == 403
    assert AuditEntry.objects.filter(action="dataset.download_refused", object_id=str(world.file.pk)).count() == 1
    assert DownloadLog.objects.count() == 0


def test_the_files_of_a_hidden_partner_answer_404_and_are_audited(world, client):
    world.owner.partner.is_public = False
    world.owner.partner.save()
    client.force_login(world.outsider.user)
    assert client.get(download_url(world.dataset)).status_code == 404
    assert AuditEntry.objects.filter(action="dataset.download_refused").count() == 1


def test_participants_files_are_logged_public_files_are_not(world, client):
    world.dataset.access_level = AccessLevel.PARTICIPANTS
    world.dataset.save()
    client.force_login(world.member.user)
    assert client.get(download_url(world.dataset)).status_code == 200
    log = DownloadLog.objects.get()
    assert (log.startup, log.grant) == (world.member.startup, None)
    world.dataset.access_level = AccessLevel.PUBLIC
    world.dataset.save()
    client.logout()
    assert client.get(download_url(world.dataset)).status_code == 200
    assert DownloadLog.objects.count() == 1


def test_requests_need_a_selected_startup_a_purpose_and_only_one_open(world):
    with pytest.raises(access.AccessRefused):
        access.access_request(
            dataset=world.dataset, startup=world.outsider.startup, actor=world.outsider.user, purpose="x"
        )
    with pytest.raises(access.AccessRefused):
        access.access_request(dataset=world.dataset, startup=world.member.startup, actor=world.member.user, purpose="")
    access.access_request(dataset=world.dataset, startup=world.member.startup, actor=world.member.user, purpose="x")
    with pytest.raises(access.AccessRefused):
        access.access_request(
            dataset=world.dataset, startup=world.member.startup, actor=world.teammate.user, purpose="y"
        )
    assert AccessRequest.objects.count() == 1
    assert AuditEntry.objects.filter(action="dataset.access_request_refused").count() == 3


def test_only_the_owner_partner_decides_and_a_refusal_needs_a_reason(world):
    request = access.access_request(
        dataset=world.dataset, startup=world.member.startup, actor=world.member.user, purpose="x"
    )
    with pytest.raises(access.AccessRefused):
        access.access_approve(request=request, actor=world.other_partner.user)
    with pytest.raises(access.AccessRefused):
        access.access_refuse(request=request, actor=world.owner.user, reason=" ")
    access.access_refuse(request=request, actor=world.owner.user, reason="Not for this purpose")
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (AccessRequestStatus.REFUSED, world.owner.user)
    assert Notification.objects.filter(kind="dataset.access_decided", recipient=world.member.user).count() == 1
    assert not AccessGrant.objects.exists()


def test_an_end_date_chosen_by_the_partner(world):
    ends_at = timezone.now() + timedelta(days=3)
    grant = grant_to(world, ends_at=ends_at)
    assert grant.ends_at == ends_at


def test_the_s3_download_is_a_redirect_to_a_short_signed_url_and_stops_when_the_grant_ends(
    world,
    client,
    s3_storage,  # noqa: F811 (fixtures imported above)
    public_endpoint,  # noqa: F811 (fixtures imported above)
):
    distribution = add_file(world.dataset, version=2, content=b"on s3\n")
    assert distribution.file.name.startswith("datasets/")
    grant = grant_to(world)
    access.agreement_accept(agreement=world.agreement, user=world.member.user, startup=world.member.startup)
    client.force_login(world.member.user)
    response = client.get(download_url(world.dataset, 2))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(public_endpoint + "/")
    query = parse_qs(urlsplit(location).query)
    assert "X-Amz-Signature" in query or "Signature" in query
    expires = int(query.get("X-Amz-Expires", ["0"])[0])
    assert 0 < expires <= 60
    assert DIRECT.open(location.replace("localhost", "127.0.0.1"), timeout=10).read() == b"on s3\n"
    assert DownloadLog.objects.filter(distribution=distribution).count() == 1

    end_now(grant)
    assert client.get(download_url(world.dataset, 2)).status_code == 403
    assert DownloadLog.objects.filter(distribution=distribution).count() == 1


def test_the_demo_access_is_complete_and_idempotent():
    from django.core.management import call_command

    from datacity.demo.access import load_access

    call_command("load_demo", verbosity=0)
    for _ in range(2):
        load_access()
    kezakoo = {"startup__slug": "kezakoo"}
    assert AccessGrant.objects.active().filter(dataset__slug="comptage-eau-secteurs", **kezakoo).count() == 1
    assert AccessRequest.objects.filter(status=AccessRequestStatus.REQUESTED, **kezakoo).count() == 1
    assert AccessRequest.objects.filter(**kezakoo).count() == 2
    assert DataUseAgreement.objects.filter(dataset__slug="comptage-eau-secteurs").count() == 1


def test_the_partner_pages_cost_the_same_queries_at_5_and_50_rows(world, client):
    from tests.factories import StartupFactory
    from tests.utils import assert_constant_queries

    client.force_login(world.owner.user)
    partner = world.owner.partner.slug

    def grow_requests(n: int) -> None:
        while AccessRequest.objects.count() < n:
            selection = SelectionFactory.create(startup=StartupFactory.create())
            dataset = DatasetFactory.create(owner=world.owner.partner, access_level=AccessLevel.RESTRICTED)
            request = AccessRequest.objects.create(
                dataset=dataset, startup=selection.startup, requested_by=world.member.user, purpose="p"
            )
            if AccessRequest.objects.count() % 2:
                now = timezone.now()
                AccessGrant.objects.create(
                    dataset=dataset,
                    startup=selection.startup,
                    request=request,
                    starts_at=now,
                    ends_at=now + timedelta(1),
                )

    assert_constant_queries(client, f"/en/datasets/requests/{partner}/", grow_requests, at_most=20)

    def grow_downloads(n: int) -> None:
        while DownloadLog.objects.count() < n:
            DownloadLog.objects.create(user=world.member.user, startup=world.member.startup, distribution=world.file)

    assert_constant_queries(client, f"/en/datasets/downloads/{partner}/", grow_downloads, at_most=20)


def test_the_partner_publishes_a_new_agreement_version_from_its_pages(client, world):
    client.force_login(world.owner.user)
    url = reverse("datasets:agreement_publish", kwargs={"slug": world.dataset.slug})
    assert client.get(url).status_code == 200
    assert client.post(url, {"text": "  "}).status_code == 400  # no text: refused, nothing published
    assert world.dataset.agreements.count() == 1

    assert client.post(url, {"text": "Version two: no sharing outside the team."}).status_code == 302
    assert list(world.dataset.agreements.values_list("version", flat=True).order_by("version")) == [1, 2]
    assert AuditEntry.objects.filter(action="dataset.agreement_published", object_id=str(world.dataset.pk)).exists()

    client.force_login(world.other_partner.user)  # another partner's member: not found
    assert client.post(url, {"text": "Hijack"}).status_code == 404
    client.force_login(world.member.user)  # a startup's member: not found either
    assert client.get(url).status_code == 404
    assert world.dataset.agreements.count() == 2
