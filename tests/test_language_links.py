"""The language links: every page links to itself in the other languages (same view, same arguments, same query
string), announces its versions as hreflang alternates, and gives anonymous visitors no CSRF token nor cookie;
and the favicon."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import resolve
from django.utils import translation

from datacity.demo import content
from tests.factories import ChallengeFactory

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]


class PageLanguages(HTMLParser):
    """What a page says of its languages: <html lang>, the head's alternates and icons, the language navigation."""

    def __init__(self):
        super().__init__()
        self.lang = ""
        self.alternates: dict[str, list[str]] = {}
        self.icons: list[dict[str, str]] = []
        self.nav_labels: list[str] = []
        self.links: list[dict[str, str]] = []  # the language navigation's links
        self.current: list[dict[str, str]] = []  # its elements marked aria-current="true"
        self.depth = 0  # > 0 inside the language navigation

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.lang = attributes.get("lang", "")
        elif tag == "link" and attributes.get("rel") == "alternate" and "hreflang" in attributes:
            self.alternates.setdefault(attributes["hreflang"], []).append(attributes["href"])
        elif tag == "link" and attributes.get("rel") == "icon":
            self.icons.append(attributes)
        if tag == "nav" and "language-links" in attributes.get("class", "").split():
            self.depth = 1
            self.nav_labels.append(attributes.get("aria-label", ""))
            return
        if self.depth:
            if tag == "nav":
                self.depth += 1
            if tag == "a":
                self.links.append(attributes)
            if attributes.get("aria-current") == "true":
                self.current.append({"tag": tag, **attributes})

    def handle_endtag(self, tag):
        if self.depth and tag == "nav":
            self.depth -= 1


def read(response) -> PageLanguages:
    parsed = PageLanguages()
    parsed.feed(response.content.decode())
    return parsed


def prefix(url: str) -> str:
    """The language prefix of a path ("ar" for /ar/...), empty for French's unprefixed paths."""
    first = urlsplit(url).path.split("/")[1]
    return first if first in LANGUAGES else ""


def same_page(url: str, language: str):
    """The view name and arguments `url` resolves to in `language` (a prefixed path only resolves in its own)."""
    with translation.override(language):
        match = resolve(urlsplit(url).path)
    return match.view_name, match.args, match.kwargs


def test_every_public_page_links_to_itself_in_each_other_language(client):
    call_command("load_demo", stdout=None)
    assert any(urlsplit(url).query for url in content.PUBLIC_PAGES), "a page with a query string must be walked"
    for url in content.PUBLIC_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        page = read(response)
        with translation.override(page.lang):
            assert page.nav_labels == [translation.gettext("Language")], url
        # The current language is marked, in its own language, and is not a link.
        assert [(one["tag"], one["lang"]) for one in page.current] == [("span", page.lang)], url
        others = [code for code in LANGUAGES if code != page.lang]
        assert sorted(link["hreflang"] for link in page.links) == sorted(others), url
        for link in page.links:
            language = link["hreflang"]
            assert link["lang"] == language, url
            assert link["dir"] == ("rtl" if translation.get_language_info(language)["bidi"] else "ltr"), url
            assert prefix(link["href"]) == ("" if language == settings.LANGUAGE_CODE else language), link["href"]
            assert same_page(link["href"], language) == same_page(url, page.lang), (url, link["href"])
            assert urlsplit(link["href"]).query == urlsplit(url).query, (url, link["href"])
            followed = client.get(link["href"])
            assert followed.status_code == 200, (url, link["href"])
            assert read(followed).lang == language, link["href"]


def test_the_query_string_is_kept(client):
    call_command("load_demo", stdout=None)
    page = read(client.get("/challenges/?partner=lydec"))
    assert {link["hreflang"]: link["href"] for link in page.links} == {
        "ar": "/ar/challenges/?partner=lydec",
        "en": "/en/challenges/?partner=lydec",
    }


def test_public_pages_give_anonymous_visitors_no_csrf_token_nor_cookie(client):
    call_command("load_demo", stdout=None)
    for url in content.PUBLIC_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "csrfmiddlewaretoken" not in response.content.decode(), url
        assert settings.CSRF_COOKIE_NAME not in response.cookies, url
    assert settings.CSRF_COOKIE_NAME not in client.cookies


def test_hreflang_alternates_are_absolute_and_cover_every_language_and_a_default(client):
    ChallengeFactory.create(slug="tram")
    for url, language in [("/challenges/tram/?tab=data", "fr"), ("/ar/challenges/tram/?tab=data", "ar")]:
        page = read(client.get(url))
        assert page.lang == language
        assert page.alternates == {
            "fr": [f"{settings.SITE_URL}/challenges/tram/?tab=data"],
            "ar": [f"{settings.SITE_URL}/ar/challenges/tram/?tab=data"],
            "en": [f"{settings.SITE_URL}/en/challenges/tram/?tab=data"],
            "x-default": [f"{settings.SITE_URL}/challenges/tram/?tab=data"],
        }, url


def test_a_url_that_matches_no_page_links_to_each_language_home_and_announces_no_alternates(client):
    response = client.get("/ar/no-such-page/")
    assert response.status_code == 404
    page = read(response)
    assert page.lang == "ar"
    assert {link["hreflang"]: link["href"] for link in page.links} == {"fr": "/", "en": "/en/"}
    assert page.alternates == {}


def test_the_favicon_is_served_at_the_root_and_linked_in_the_head(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/")
    body = b"".join(response.streaming_content)  # read to the end, which closes the file (Django's test client)
    assert body[:4] == b"\x00\x00\x01\x00"  # the ICO signature
    icons = read(client.get("/")).icons
    assert [(icon["type"], urlsplit(icon["href"]).path.rsplit("/", 1)[-1]) for icon in icons] == [
        ("image/svg+xml", "favicon.svg")
    ]
    svg = client.get(icons[0]["href"])
    assert svg.status_code == 200
    assert svg["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(svg.streaming_content)
