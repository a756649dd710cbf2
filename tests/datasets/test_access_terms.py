"""What happens around a grant's end: the team is told before and after it, the partner extends or renews it, the
startup asks for a renewal; a startup's own page of its requests, where a waiting request is withdrawn; the
catalogue's format filter."""

import importlib
import time
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from datacity.audit.models import AuditEntry
from datacity.notifications.models import Notification
from datasets import access, tasks
from datasets.models import AccessGrant, AccessLevel, AccessRequest, AccessRequestStatus
from datasets.permissions import download_decision, file_access
from tests.datasets import test_access
from tests.datasets.test_access import add_file, download_url, end_now, grant_to
from tests.factories import DatasetFactory, PartnerMembershipFactory, SelectionFactory, StartupMembershipFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db

world = test_access.world  # the same world: a restricted dataset, its partner, a selected startup team


def terms(event: str) -> list[str]:
    return sorted(
        Notification.objects.filter(kind="dataset.access_term", context__event=event).values_list(
            "recipient__email", flat=True
        )
    )


def team(world) -> list[str]:
    return sorted([world.member.user.email, world.teammate.user.email])


# --- Notices of the end ----------------------------------------------------------------------------------------------


def test_the_team_hears_once_that_access_ends_soon_then_once_that_it_ended(world):
    now = timezone.now()
    grant = grant_to(world, ends_at=now + timedelta(days=30))
    assert access.grant_term_notices(now=now) == 0  # a month ahead: too early

    assert access.grant_term_notices(now=now + timedelta(days=25)) == 2
    assert access.grant_term_notices(now=now + timedelta(days=26)) == 0  # once per person
    assert terms("ending") == team(world)

    after = grant.ends_at + timedelta(hours=1)
    assert access.grant_term_notices(now=after) == 2
    assert access.grant_term_notices(now=after + timedelta(hours=1)) == 0
    assert terms("ended") == team(world)
    # The partner is not told: its page lists the grants that ended.
    assert not Notification.objects.filter(recipient=world.owner.user, kind="dataset.access_term").exists()


def test_ended_notices_catch_up_after_downtime_but_not_forever(world):
    now = timezone.now()
    grant_to(world, ends_at=now + timedelta(days=1))
    assert access.grant_term_notices(now=now + timedelta(days=3)) == 2  # the clock was down when it ended
    other = StartupMembershipFactory.create()
    SelectionFactory.create(startup=other.startup)
    old = AccessGrant.objects.create(
        dataset=world.dataset, startup=other.startup, starts_at=now - timedelta(60), ends_at=now - timedelta(30)
    )
    access.grant_term_notices(now=now)
    assert not Notification.objects.filter(object_id=old.pk, kind="dataset.access_term").exists()


def test_a_revoked_grant_gets_no_end_notices(world):
    now = timezone.now()
    grant = grant_to(world, ends_at=now + timedelta(days=3))
    access.access_revoke(grant=grant, actor=world.owner.user, reason="Misuse")
    assert access.grant_term_notices(now=now) == 0
    assert access.grant_term_notices(now=now + timedelta(days=4)) == 0


def test_an_extension_tells_the_team_and_rearms_the_notices_of_the_new_end(world):
    now = timezone.now()
    grant = grant_to(world, ends_at=now + timedelta(days=3))
    assert access.grant_term_notices(now=now) == 2
    new_end = now + timedelta(days=60)
    access.access_extend(grant=grant, actor=world.owner.user, ends_at=new_end)
    assert terms("extended") == team(world)
    entry = AuditEntry.objects.get(action="dataset.access_extended")
    assert entry.details["previous"] == (now + timedelta(days=3)).isoformat()
    assert access.grant_term_notices(now=now + timedelta(days=1)) == 0  # the new end is far
    assert access.grant_term_notices(now=new_end - timedelta(days=2)) == 2  # and is announced in its turn
    assert terms("ending") == sorted(team(world) * 2)


@pytest.mark.django_db(transaction=True)
def test_beat_runs_the_notices_every_hour_on_a_real_worker(celery_worker):
    seed = importlib.import_module("datasets.migrations.0005_seed_grant_notices_schedule").seed
    seed(apps, None)  # what migrate did (a transactional test's flush may have emptied the table since)
    beat = PeriodicTask.objects.get(name="dataset-grant-terms")
    assert (beat.task, beat.interval.every) == ("datasets.tasks.grant_term_notices", 3600)
    owner = PartnerMembershipFactory.create()
    member = StartupMembershipFactory.create()
    SelectionFactory.create(startup=member.startup)
    dataset = DatasetFactory.create(owner=owner.partner, access_level=AccessLevel.RESTRICTED)
    now = timezone.now()
    AccessGrant.objects.create(
        dataset=dataset, startup=member.startup, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=2)
    )
    tasks.grant_term_notices.delay()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not Notification.objects.filter(kind="dataset.access_term").exists():
        time.sleep(0.1)
    assert list(Notification.objects.values_list("recipient", "context__event")) == [(member.user.pk, "ending")]


# --- Extending and renewing ------------------------------------------------------------------------------------------


def test_the_partner_renews_a_grant_that_ended_from_its_page_and_downloads_open_again(world, client):
    grant = grant_to(world)
    access.agreement_accept(agreement=world.agreement, user=world.member.user, startup=world.member.startup)
    end_now(grant)
    assert not download_decision(world.member.user, world.dataset).allowed
    client.force_login(world.owner.user)
    page = client.get(f"/en/datasets/requests/{world.owner.partner.slug}/")
    assert f'data-testid="renew-{grant.pk}"' in page.content.decode()
    new_end = (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/en/datasets/requests/{world.owner.partner.slug}/",
        {"grant": grant.pk, "decision": "extend", "ends_at": new_end},
    )
    assert response.status_code == 302
    assert download_decision(world.member.user, world.dataset).allowed
    client.force_login(world.member.user)
    assert client.get(download_url(world.dataset)).status_code == 200


@pytest.mark.parametrize("ends_at", ["", "2001-01-01T10:00", "not a date", "9" * 500])
def test_an_extension_needs_a_future_date_and_changes_nothing_otherwise(world, client, ends_at):
    grant = grant_to(world)
    before = AccessGrant.objects.get(pk=grant.pk).ends_at
    client.force_login(world.owner.user)
    response = client.post(
        f"/en/datasets/requests/{world.owner.partner.slug}/",
        {"grant": grant.pk, "decision": "extend", "ends_at": ends_at},
        follow=True,
    )
    assert response.status_code == 200
    assert AccessGrant.objects.get(pk=grant.pk).ends_at == before
    assert AuditEntry.objects.filter(action="dataset.access_extension_refused").exists()


def test_only_the_owner_partner_extends_and_never_a_revoked_grant(world, client):
    grant = grant_to(world)
    later = timezone.now() + timedelta(days=90)
    with pytest.raises(access.AccessRefused) as refusal:
        access.access_extend(grant=grant, actor=world.other_partner.user, ends_at=later)
    assert refusal.value.details["reason_code"] == "not_partner"
    client.force_login(world.other_partner.user)
    response = client.post(
        f"/en/datasets/requests/{world.other_partner.partner.slug}/",
        {"grant": grant.pk, "decision": "extend", "ends_at": "2099-01-01T10:00"},
    )
    assert response.status_code == 404
    access.access_revoke(grant=grant, actor=world.owner.user, reason="Misuse")
    with pytest.raises(access.AccessRefused) as refusal:
        access.access_extend(grant=grant, actor=world.owner.user, ends_at=later)
    assert refusal.value.details["reason_code"] == "revoked"


def test_near_its_end_the_team_may_ask_for_a_renewal_not_before(world):
    now = timezone.now()
    grant = grant_to(world, ends_at=now + timedelta(days=30))
    assert file_access(world.member.user, world.dataset).request_url == ""
    with pytest.raises(access.AccessRefused) as refusal:
        access.access_request(dataset=world.dataset, startup=world.member.startup, actor=world.member.user, purpose="x")
    assert refusal.value.details["reason_code"] == "granted"

    AccessGrant.objects.filter(pk=grant.pk).update(ends_at=now + timedelta(days=5))
    near = file_access(world.member.user, world.dataset)
    assert near.allowed
    assert near.request_url.endswith(f"/datasets/{world.dataset.slug}/request-access/")
    renewal = access.access_request(
        dataset=world.dataset, startup=world.member.startup, actor=world.member.user, purpose="Another season"
    )
    access.access_approve(request=renewal, actor=world.owner.user, ends_at=now + timedelta(days=120))
    renewed = download_decision(world.member.user, world.dataset).grant
    assert renewed is not None
    assert renewed.ends_at == now + timedelta(days=120)


# --- The startup's own page ------------------------------------------------------------------------------------------


def test_a_member_sees_the_startups_requests_and_withdraws_a_waiting_one(world, client):
    request = access.access_request(
        dataset=world.dataset, startup=world.member.startup, actor=world.member.user, purpose="Study the tram"
    )
    url = f"/en/datasets/startup/{world.member.startup.slug}/"
    client.force_login(world.teammate.user)  # the team's page, not the requester's
    page = client.get(url).content.decode()
    assert "Study the tram" in page
    assert f'data-testid="withdraw-{request.pk}"' in page

    response = client.post(url, {"request": request.pk})
    assert response.status_code == 302
    assert AccessRequest.objects.get(pk=request.pk).status == AccessRequestStatus.WITHDRAWN
    assert AuditEntry.objects.filter(action="dataset.access_withdrawn", actor=world.teammate.user).exists()
    # The partner no longer has it to decide; the team may ask again.
    assert not access.pending_requests(world.owner.partner.pk).exists()
    access.access_request(dataset=world.dataset, startup=world.member.startup, actor=world.member.user, purpose="y")


def test_a_decided_request_cannot_be_withdrawn(world, client):
    grant = grant_to(world)
    client.force_login(world.member.user)
    assert grant.request is not None
    response = client.post(f"/en/datasets/startup/{world.member.startup.slug}/", {"request": grant.request.pk})
    assert response.status_code == 302
    assert AccessRequest.objects.get(pk=grant.request.pk).status == AccessRequestStatus.APPROVED
    assert AuditEntry.objects.filter(action="dataset.access_withdrawal_refused").exists()


@pytest.mark.parametrize("posted", ["", "abc", "-1", "1" * 40])
def test_a_malformed_withdrawal_is_a_404(world, client, posted):
    client.force_login(world.member.user)
    response = client.post(f"/en/datasets/startup/{world.member.startup.slug}/", {"request": posted})
    assert response.status_code == 404


def test_another_startup_cannot_see_or_withdraw_the_requests(world, client):
    request = access.access_request(
        dataset=world.dataset, startup=world.member.startup, actor=world.member.user, purpose="Private purpose"
    )
    client.force_login(world.outsider.user)
    assert client.get(f"/en/datasets/startup/{world.member.startup.slug}/").status_code == 404
    # Through its own page, with the other startup's request id: not found either.
    response = client.post(f"/en/datasets/startup/{world.outsider.startup.slug}/", {"request": request.pk})
    assert response.status_code == 404
    assert AccessRequest.objects.get(pk=request.pk).status == AccessRequestStatus.REQUESTED


def test_the_startup_page_costs_the_same_queries_at_5_and_50_rows(world, client):
    client.force_login(world.member.user)

    def grow(n: int) -> None:
        while AccessRequest.objects.count() < n:
            dataset = DatasetFactory.create(owner=world.owner.partner, access_level=AccessLevel.RESTRICTED)
            request = access.access_request(
                dataset=dataset, startup=world.member.startup, actor=world.member.user, purpose="p"
            )
            if AccessRequest.objects.count() % 2:
                grant = access.access_approve(request=request, actor=world.owner.user)
                if AccessRequest.objects.count() % 3 == 0:
                    end_now(grant)

    assert_constant_queries(client, f"/en/datasets/startup/{world.member.startup.slug}/", grow, at_most=15)


# --- The catalogue's format filter -----------------------------------------------------------------------------------


def test_the_catalogue_filters_by_format_and_names_each_datasets_formats(client):
    tram = DatasetFactory.create(title="Tram ridership")
    add_file(tram)
    water = DatasetFactory.create(title="Water sectors")
    distribution = add_file(water)
    type(distribution).objects.filter(pk=distribution.pk).update(format="GeoJSON")

    page = client.get("/en/datasets/", {"format": "GeoJSON"}).content.decode()
    assert "Water sectors" in page
    assert "Tram ridership" not in page
    page = client.get("/en/datasets/", {"format": "CSV"}).content.decode()
    assert "Tram ridership" in page
    assert "Water sectors" not in page
    assert '· <span dir="ltr">CSV</span>' in page
    # An unknown format is an error on the form, not a 500.
    assert client.get("/en/datasets/", {"format": "<script>" * 100}).status_code == 200
