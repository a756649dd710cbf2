"""The API against its own OpenAPI description, by schemathesis: requests generated from the description for every
operation, as a visitor and as each of two people who must never read each other's objects. Every answer must be
one the description declares (status, content type, body schema), never a server error, and never carry the other
side's private objects or anyone's personal data."""

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import client_of

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 25


@pytest.fixture
def schema(sides):
    """The description, read from the WSGI application itself, which then answers every generated request
    in-process. As Django's test client does, requests keep the test's database connection (and its transaction)
    instead of closing it when they end."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# Anonymous answers are gzipped when the client accepts it; the WSGI transport hands over the bytes as they are,
# where a real client would decode them.
PLAIN = {"Accept-Encoding": "identity"}


def session_of(user) -> dict[str, str]:
    """The cookies of `user`'s session (the WSGI transport keeps its own cookie jar: a Cookie header is dropped)."""
    client = client_of(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def run(schema, cookies: dict[str, str], forbidden: list[str]) -> set[tuple[str, int]]:
    """Every operation, EXAMPLES generated requests each; each path template with the statuses it answered."""
    answered: set[tuple[str, int]] = set()

    def nothing_forbidden(ctx, response, case) -> None:
        text = response.text
        shown = [marker for marker in forbidden if marker in text]
        assert not shown, f"{case.path}: shows {shown}"

    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        def requests(case) -> None:
            response = case.call_and_validate(
                cookies=cookies, headers=PLAIN, checks=CHECKS, additional_checks=[nothing_forbidden]
            )
            answered.add((case.path, response.status_code))

        requests()
    return answered


def test_the_description_is_valid_and_lists_every_endpoint(schema):
    paths = set(schema.raw_schema["paths"])
    for name in ("editions", "partners", "challenges", "selections", "results", "partnerships", "datasets"):
        assert f"/api/{name}/" in paths
    assert "/api/experiments/{id}/" in paths


def test_generated_requests_as_each_side_never_read_the_others_objects(schema, sides):
    personal = sides.a.personal + sides.b.personal
    for mine, theirs in ((sides.a, sides.b), (sides.b, sides.a)):
        answered = run(schema, session_of(mine.founder), theirs.private + personal)
        assert ("/api/experiments/", 200) in answered  # signed in: the session went along
        assert len({path for path, _status in answered}) == len(schema.raw_schema["paths"])


def test_generated_requests_as_a_visitor_read_nothing_private(schema, sides):
    forbidden = sides.a.private + sides.b.private + sides.a.personal + sides.b.personal
    answered = run(schema, {}, forbidden)
    assert ("/api/experiments/", 403) in answered


def test_each_side_asking_for_the_others_objects_by_their_identifiers_gets_404(schema, sides):
    """Every detail operation of the description, with the other side's identifiers as its path parameter."""
    for mine, theirs in ((sides.a, sides.b), (sides.b, sides.a)):
        identifiers = {
            "id": [theirs.selection.pk],
            "slug": [theirs.draft.slug, theirs.dataset.slug, theirs.partner.slug, theirs.startup.slug],
        }
        cookies = session_of(mine.founder)
        asked = 0
        for result in schema.get_all_operations():
            operation = result.ok()
            (parameter, *_) = [p.name for p in operation.path_parameters] or [None]
            for value in identifiers.get(parameter, []):
                case = operation.Case(path_parameters={parameter: value})
                response = case.call(cookies=cookies)
                assert response.status_code == 404, (operation.label, value, response.status_code)
                asked += 1
        assert asked >= 4 * 4
