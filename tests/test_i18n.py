"""Languages: French by default, Arabic right-to-left, English; staff-written content falls back to French."""

import pytest

from tests.factories import ChallengeFactory

pytestmark = pytest.mark.django_db


def test_french_is_the_default_and_unprefixed(client):
    response = client.get("/challenges/", headers={"accept-language": "en"})
    assert response.status_code == 200
    assert '<html lang="fr" dir="ltr">' in response.content.decode()


def test_arabic_pages_are_right_to_left(client):
    response = client.get("/ar/challenges/")
    assert '<html lang="ar" dir="rtl">' in response.content.decode()


def test_content_is_shown_in_the_visitor_language_with_a_fallback_to_french(client):
    ChallengeFactory.create(
        slug="tram", title_fr="Le tram aux heures de pointe", title_ar="الترام في ساعات الذروة", title_en=""
    )
    assert "Le tram aux heures de pointe" in client.get("/challenges/tram/").content.decode()
    assert "الترام في ساعات الذروة" in client.get("/ar/challenges/tram/").content.decode()
    # No English title written: the French one is shown rather than nothing.
    assert "Le tram aux heures de pointe" in client.get("/en/challenges/tram/").content.decode()


def test_language_switch_redirects_to_the_same_page_in_the_chosen_language(client):
    response = client.post("/i18n/setlang/", {"language": "ar", "next": "/challenges/"})
    assert response.status_code == 302
    assert response["Location"] == "/ar/challenges/"


def test_interface_strings_are_translated(client):
    assert "Défis" in client.get("/challenges/").content.decode()
    assert "التحديات" in client.get("/ar/challenges/").content.decode()
    assert "Challenges" in client.get("/en/challenges/").content.decode()


def test_unknown_page_gets_the_platform_404(client):
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
