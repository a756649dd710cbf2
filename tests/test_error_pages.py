"""Error pages (400, 403, 404, 500) in the platform's layout and language, with the right status code.

This module is also a test URLconf: the project's URLs and error handlers, plus test-only pages that fail on
purpose, in French (unprefixed) and Arabic (/ar/).
"""

from typing import NoReturn, cast

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client, RequestFactory
from django.urls import get_resolver, path
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from datacity import errors
from datacity import urls as project_urls
from datacity.accounts.models import User
from tests.factories import UserFactory


def fail(request, status: int):
    """A page that fails with `status`, the way a real view would."""
    if status == 400:
        raise SuspiciousOperation("A test-only bad request")
    if status == 403:
        raise PermissionDenied
    raise RuntimeError("A test-only server error")


urlpatterns = [
    *project_urls.urlpatterns,
    *i18n_patterns(path("test-errors/<int:status>/", fail, name="test_error"), prefix_default_language=False),
]
handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500

HANDLERS = {
    400: errors.bad_request,
    403: errors.permission_denied,
    404: errors.page_not_found,
    500: errors.server_error,
}
LANGUAGES = {"fr": ("", 'lang="fr" dir="ltr"'), "ar": ("/ar", 'lang="ar" dir="rtl"')}
TITLES = {400: "Bad request", 403: "Access denied", 404: "Page not found", 500: "An error occurred"}


def assert_in_layout(response, status: int, language: str, title: str = "") -> None:
    html = response.content.decode()
    assert response.status_code == status
    assert f"<html {LANGUAGES[language][1]}>" in html
    assert 'class="site-header"' in html
    assert 'class="site-footer"' in html
    assert '<meta name="robots" content="noindex">' in html
    with translation.override(language):
        assert translation.gettext("Skip to content") in html  # the layout, in the page's language
        assert f"<h1>{translation.gettext(title or TITLES[status])}</h1>" in html


@pytest.mark.parametrize("status", sorted(HANDLERS))
def test_the_project_urlconf_uses_the_platforms_error_handlers(status):
    assert get_resolver("datacity.urls").resolve_error_handler(status) is HANDLERS[status]


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_pages")
@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("status", sorted(HANDLERS))
def test_every_error_page_is_in_the_platforms_layout_and_language(status, language):
    # A server error becomes the 500 page instead of being raised into the test.
    client = Client(raise_request_exception=False)
    prefix = LANGUAGES[language][0]
    url = f"{prefix}/no-such-page/" if status == 404 else f"{prefix}/test-errors/{status}/"
    assert_in_layout(client.get(url), status, language)


@pytest.mark.django_db
@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_unknown_page_answers_the_platforms_404(client, language):
    response = client.get(f"{LANGUAGES[language][0]}/no-such-page/")
    assert_in_layout(response, 404, language)
    assert response.context["request"].path.endswith("/no-such-page/")


@pytest.mark.django_db
def test_a_page_one_may_not_see_answers_the_platforms_403_not_djangos_bare_one(client):
    """The admin refuses a logged-in person who is not staff: in the platform's layout and default language (an
    unprefixed address is French, whatever the browser asks)."""
    client.force_login(UserFactory.create())
    response = client.get("/admin/login/", headers={"accept-language": "ar"})
    assert_in_layout(response, 403, "fr")
    assert "<h1>403 Forbidden</h1>" not in response.content.decode()


@pytest.mark.django_db
def test_a_403_to_an_anonymous_visitor_offers_to_log_in(client, settings):
    settings.ROOT_URLCONF = "tests.test_error_pages"
    response = client.get("/test-errors/403/")
    assert response.status_code == 403
    assert 'href="/accounts/login/?next=/test-errors/403/"' in response.content.decode()


@pytest.mark.django_db
def test_a_request_for_an_unknown_host_answers_the_platforms_400(client):
    response = client.get("/ar/", headers={"host": "not-ours.example"})
    assert_in_layout(response, 400, "ar")


@pytest.mark.django_db
def test_a_form_sent_without_its_csrf_cookie_answers_in_the_platforms_layout():
    response = Client(enforce_csrf_checks=True).post("/i18n/setlang/", {"language": "ar", "next": "/"})
    assert_in_layout(response, 403, "fr", title="This form could not be sent")


# No django_db mark: pytest-django refuses any query, so these prove the 500 page needs no database.
@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_500_page_renders_without_the_database_the_session_or_the_user(language):
    request = RequestFactory().get(f"{LANGUAGES[language][0]}/somewhere/")

    def untouchable() -> NoReturn:
        raise AssertionError("the 500 page must not read the session or the user")

    # Stand-ins that fail as soon as they are read: the page must never look at them.
    request.session = cast(SessionBase, SimpleLazyObject(untouchable))
    request.user = cast(User, SimpleLazyObject(untouchable))
    with translation.override(language):
        response = errors.server_error(request)
    assert_in_layout(response, 500, language)


def test_the_500_page_falls_back_to_bare_html_when_its_template_fails(monkeypatch):
    def broken(name):
        raise RuntimeError("a broken template")

    monkeypatch.setattr(errors.loader, "get_template", broken)
    response = errors.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Server error (500)" in response.content.decode()
