"""The French and Arabic catalogues are complete and their committed .mo files match the .po sources."""

from pathlib import Path

import polib
import pytest
from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import server_error

LOCALE = Path(__file__).resolve().parent.parent / "locale"


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_catalogue_is_complete_and_compiled(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))

    assert po.untranslated_entries() == []
    assert [entry.msgid for entry in po.fuzzy_entries()] == []

    def translations(catalogue):
        return {
            (entry.msgctxt, entry.msgid): entry.msgstr or tuple(sorted(entry.msgstr_plural.items()))
            for entry in catalogue
            if entry.msgid and not entry.obsolete
        }

    assert translations(mo) == translations(po), "run `make messages` to recompile the .mo files"


def test_arabic_catalogue_is_used_for_arabic_pages():
    with translation.override("ar"):
        assert translation.gettext("Challenges") == "التحديات"
        assert translation.get_language_bidi()


def test_server_error_page_renders_without_the_database_or_a_context():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Une erreur est survenue" in response.content.decode()
    assert 'dir="rtl"' in response.content.decode()
