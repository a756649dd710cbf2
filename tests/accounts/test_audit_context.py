"""The audit context: services name the actor only; the address and request id come from the request, and work
done outside a request (tasks, commands) is recorded as the system actor that did it."""

import pytest
from celery.signals import task_postrun, task_prerun
from django.urls import reverse

from datacity.audit.context import current, system_context
from datacity.audit.models import AuditEntry
from datacity.audit.services import Refused, audited_transaction, record
from tests.factories import StartupFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_entry_written_during_a_request_carries_its_address_and_id(client):
    user = UserFactory.create()
    client.force_login(user)
    hidden = StartupFactory.create()

    response = client.get(reverse("startups:detail", args=[hidden.slug]), REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 404
    entry = AuditEntry.objects.get(action="access.refused")
    assert entry.actor == user
    assert entry.ip_address == "203.0.113.9"
    assert entry.request_id == response["X-Request-ID"]
    assert entry.details["path"] == reverse("startups:detail", args=[hidden.slug])


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "203.0.113.9"),  # no proxy trusted: the header is the client's word
        (1, "198.51.100.7", "198.51.100.7"),  # the proxy's own entry
        (1, "10.6.6.6, 198.51.100.7", "198.51.100.7"),  # a client's forged entry on the left is ignored
        (2, "10.6.6.6, 198.51.100.7, 192.0.2.1", "198.51.100.7"),  # two proxies: the outer one's entry
        (2, "198.51.100.7", "203.0.113.9"),  # fewer entries than proxies: the direct peer
        (1, "not an address", "203.0.113.9"),
        (1, "x" * 5000 + ",\n", "203.0.113.9"),
    ],
)
def test_the_address_behind_trusted_proxies_is_the_outermost_ones_entry(client, settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    user = UserFactory.create()
    client.force_login(user)
    hidden = StartupFactory.create()

    response = client.get(
        reverse("startups:detail", args=[hidden.slug]), REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=forwarded
    )

    assert response.status_code == 404
    assert AuditEntry.objects.get(action="access.refused").ip_address == expected


def test_a_request_id_from_the_proxy_is_kept_and_a_malformed_one_replaced(client):
    assert client.get("/", HTTP_X_REQUEST_ID="abc-123-def-456")["X-Request-ID"] == "abc-123-def-456"
    replaced = client.get("/", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
    assert replaced != "bad id\nwith newline"
    assert len(replaced) == 32


def test_outside_a_request_work_is_recorded_as_the_system_actor():
    with system_context("load_demo") as context:
        entry = record(action="test.event")
    assert entry.actor is None
    assert entry.actor_email == "system:load_demo"
    assert entry.request_id == context.request_id
    assert entry.ip_address is None
    assert current().system == ""  # the context ends with the block


def test_a_celery_task_runs_in_its_own_system_context():
    class Task:
        name = "challenges.tasks.phase_tick"

    task_prerun.send(sender=Task, task_id="task-0001-abcd", task=Task())
    try:
        entry = record(action="test.event")
    finally:
        task_postrun.send(sender=Task, task_id="task-0001-abcd", task=Task())
    assert entry.actor_email == "system:challenges.tasks.phase_tick"
    assert entry.request_id == "task-0001-abcd"
    assert current().system == ""


@pytest.mark.django_db(transaction=True)
def test_a_refusal_is_recorded_after_the_rollback_it_causes():
    user = UserFactory.create()
    startup = StartupFactory.create()

    @audited_transaction
    def doomed(*, actor):
        record(action="test.written_then_rolled_back", actor=actor)
        raise Refused("Not allowed.", action="test.refused", obj=startup, why="a test")

    with pytest.raises(Refused):
        doomed(actor=user)

    assert not AuditEntry.objects.filter(action="test.written_then_rolled_back").exists()
    entry = AuditEntry.objects.get(action="test.refused")
    assert entry.object_id == str(startup.pk)
    assert entry.details == {"reason": "Not allowed.", "why": "a test"}


def test_log_lines_carry_the_id_the_audit_log_uses():
    import logging

    from datacity.audit.context import RequestIdLogFilter

    line = logging.LogRecord("datacity", logging.INFO, __file__, 1, "tick", None, None)
    with system_context("phase_tick") as context:
        RequestIdLogFilter().filter(line)
    assert vars(line)["request_id"] == context.request_id
    outside = logging.LogRecord("datacity", logging.INFO, __file__, 1, "idle", None, None)
    RequestIdLogFilter().filter(outside)
    assert vars(outside)["request_id"] == "-"
