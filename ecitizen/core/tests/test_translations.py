"""Every string a person can see has a French and a Spanish translation.

The strings are extracted from the source at test time (makemessages on a copy of the project),
so a string added without a translation fails here even if nobody ran `make messages`.
To fix a failure: `make messages`, translate the new entries in ecitizen/locale/<lang>/LC_MESSAGES/
django.po (no fuzzy entries left), then run this test again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[3]
LANGUAGES = ("fr", "es")
# `make messages` leaves out tests; the project's own locale is left out so that the extraction
# starts from nothing and merges no existing translation.
IGNORED = ("tests", "locale", "__pycache__", "*.pyc")
SHOWN = 20
# One worker extracts once for every test here (make test runs pytest -n 2 --dist loadgroup).
pytestmark = pytest.mark.xdist_group("translations")


def catalog_path(root: Path, language: str) -> Path:
    return root / "ecitizen" / "locale" / language / "LC_MESSAGES" / "django.po"


def key(entry: polib.POEntry) -> tuple[str | None, str]:
    return entry.msgctxt, entry.msgid


def is_translated(entry: polib.POEntry, nplurals: int) -> bool:
    if entry.obsolete or entry.fuzzy:
        return False
    if entry.msgid_plural:
        return all(entry.msgstr_plural.get(i, "").strip() for i in range(nplurals))
    return bool(entry.msgstr.strip())


def nplurals_of(catalog: polib.POFile) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", catalog.metadata.get("Plural-Forms", ""))
    assert match, "the catalog has no Plural-Forms header"
    return int(match.group(1))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, polib.POFile]:
    """The catalogs makemessages builds from the current source, without any translation."""
    assert shutil.which("xgettext") and shutil.which("msgmerge"), (
        "GNU gettext is needed to extract strings: apt-get install gettext"
    )
    copy = tmp_path_factory.mktemp("messages")
    for package in ("ecitizen", "config"):
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns(*IGNORED))
    shutil.copy2(ROOT / "manage.py", copy / "manage.py")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONPATH": str(copy)}
    command = [sys.executable, "manage.py", "makemessages", "--no-obsolete", "--no-wrap"]
    command += [f"--locale={language}" for language in LANGUAGES]
    command += ["--ignore=tests", "--ignore=.venv", "--ignore=node_modules", "--ignore=bench"]
    result = subprocess.run(
        command, cwd=copy, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    return {language: polib.pofile(str(catalog_path(copy, language))) for language in LANGUAGES}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_in_the_source_is_translated(extracted, language):
    source = extracted[language]
    assert len(source) > 100, "makemessages found almost no strings: is the extraction broken?"
    catalog = polib.pofile(str(catalog_path(ROOT, language)))
    nplurals = nplurals_of(catalog)
    translations = {key(entry): entry for entry in catalog if not entry.obsolete}
    missing = []
    for entry in source:
        found = translations.get(key(entry))
        ok = found is not None and found.msgid_plural == entry.msgid_plural
        if not (ok and is_translated(found, nplurals)):
            where = ", ".join(f"{path}:{line}" for path, line in entry.occurrences[:2])
            missing.append(f"  {entry.msgid!r} ({where})")
    assert not missing, (
        f"{len(missing)} of {len(source)} strings have no {language} translation (or only a fuzzy "
        f"one) in {catalog_path(ROOT, language).relative_to(ROOT)}. Run `make messages` and "
        f"translate them. First {min(SHOWN, len(missing))}:\n" + "\n".join(missing[:SHOWN])
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_compiles_with_placeholders_kept(language):
    """msgfmt --check: the header is valid and every %(name)s / %s of a msgid is in its msgstr."""
    assert shutil.which("msgfmt"), "GNU gettext is needed: apt-get install gettext"
    path = catalog_path(ROOT, language)
    result = subprocess.run(
        ["msgfmt", "--check", "--output-file", os.devnull, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


MARKERS = re.compile(r"\(\([a-z_]+\)\)|\{[a-z_]+\}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_notification_markers_and_plural_forms(language):
    """((reference))-style markers and {name} fields, which msgfmt does not check, are kept."""
    catalog = polib.pofile(str(catalog_path(ROOT, language)))
    expected = {"fr": "nplurals=2; plural=(n > 1);", "es": "nplurals=2; plural=(n != 1);"}
    assert catalog.metadata.get("Plural-Forms") == expected[language]
    wrong = []
    for entry in catalog.translated_entries():
        sources = [entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]
        wanted = {m for source in sources for m in MARKERS.findall(source)}
        forms = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for form in forms:
            if set(MARKERS.findall(form)) != wanted:
                wrong.append(f"  {entry.msgid!r} -> {form!r}")
    assert not wrong, "markers differ between msgid and msgstr:\n" + "\n".join(wrong[:SHOWN])
