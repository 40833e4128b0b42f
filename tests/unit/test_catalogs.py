"""The translations: every string end users read is in every catalog, translated, and compiled.

Fails when a template or an N_() string changed without `make messages` (stale catalogs), when
a catalog has an empty or fuzzy entry (missing translation), when a translation drops or renames
a placeholder, and when a committed .mo differs from its .po (without `make catalogs`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.i18n.catalogs import DOMAIN, LOCALES, translations
from bot.i18n.languages import SHIPPED_LANGUAGES, SOURCE_LANGUAGE
from tests.support.paths import PROJECT_ROOT

TRANSLATED = [code for code in SHIPPED_LANGUAGES if code != SOURCE_LANGUAGE]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def extracted_msgids() -> set[str]:
    """What `make messages` would extract now, from the sources as they are."""
    with (PROJECT_ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found = extract_from_dir(str(PROJECT_ROOT / "bot"), method_map, options_map, keywords=keywords)
    return {message for _file, _line, message, _comments, _context in found if isinstance(message, str)}


def read_catalog(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=language)


@pytest.fixture(scope="module")
def sources() -> set[str]:
    ids = extracted_msgids()
    assert len(ids) > 50, "extraction found almost nothing: babel.cfg no longer matches the templates"
    return ids


def test_every_shipped_language_but_english_has_a_catalog() -> None:
    with_catalogs = {path.parent.parent.name for path in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    assert with_catalogs == set(TRANSLATED)


def test_the_template_catalog_matches_the_sources(sources: set[str]) -> None:
    template = {m.id for m in read_catalog(LOCALES / f"{DOMAIN}.pot") if m.id}
    assert sources - template == set(), "new strings: run `make messages` and translate them"
    assert template - sources == set(), "strings no longer used: run `make messages`"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_is_translated_in_every_catalog(language: str, sources: set[str]) -> None:
    catalog = read_catalog(LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po", language)
    entries = {m.id: m for m in catalog if m.id}
    assert sources - set(entries) == set(), f"{language}: missing; run `make messages` and translate"
    assert set(entries) - sources == set(), f"{language}: obsolete entries; run `make messages`"
    untranslated = [m.id for m in entries.values() if not m.string or m.fuzzy]
    assert untranslated == [], f"{language}: untranslated or fuzzy"
    for message in entries.values():
        assert sorted(PLACEHOLDER.findall(str(message.string))) == sorted(
            PLACEHOLDER.findall(str(message.id))
        ), f"{language}: {message.id!r} and its translation differ in their placeholders"


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalog_is_the_current_one(language: str) -> None:
    folder = LOCALES / language / "LC_MESSAGES"
    source = {m.id: m.string for m in read_catalog(folder / f"{DOMAIN}.po", language) if m.id}
    with (folder / f"{DOMAIN}.mo").open("rb") as compiled:
        loaded = Translations(compiled, domain=DOMAIN)
    stale = {msgid for msgid, text in source.items() if loaded.gettext(str(msgid)) != text}
    assert stale == set(), f"{language}: the .mo is older than the .po; run `make catalogs`"
    assert translations(language).gettext("Password") != "Password"
