"""The French and Arabic catalogues are complete and their committed .mo files match the .po sources."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib  # type: ignore[import-untyped]  # polib ships no type hints (types-polib is no dev dependency)
import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "locale"
# Overrides of allauth's templates keep allauth's strings, which allauth's own catalogues translate.
MAKEMESSAGES_IGNORE = ["--ignore", "templates/account/*"]


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


def test_every_translatable_string_of_the_code_is_in_the_catalogues(tmp_path):
    """`make messages` was run: extracting the strings again into a copy of the project finds nothing new."""
    root = LOCALE.parent
    copy = tmp_path / "project"
    shutil.copytree(
        root,
        copy,
        ignore=shutil.ignore_patterns(".venv", ".data", ".git", "staticfiles", "node_modules", "__pycache__", "tests"),
    )
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "fr",
            "--no-obsolete",
            "--no-location",
            *MAKEMESSAGES_IGNORE,
        ],
        cwd=copy,
        # The development settings: the test ones name a database backend that lives in tests/, not copied here.
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "datacity.settings.dev"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    extracted = {entry.msgid for entry in polib.pofile(str(copy / "locale" / "fr" / "LC_MESSAGES" / "django.po"))}
    committed = {entry.msgid for entry in polib.pofile(str(LOCALE / "fr" / "LC_MESSAGES" / "django.po"))}
    assert extracted - committed == set(), "new strings are not in the catalogues: run `make messages` and translate"
