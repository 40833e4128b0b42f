"""Gettext catalogs: `locales/<language>/LC_MESSAGES/messages.po`, compiled to `.mo` beside it.

The templates and the `N_()`-marked strings in code are English; each other shipped language
has a catalog. `make messages` extracts the strings into `messages.pot` and updates every
catalog, `make catalogs` compiles them (the `.mo` files are committed, so an installed wheel
needs no build step; tests fail when a `.mo` differs from its `.po`).
"""

from __future__ import annotations

import functools
import gettext
from pathlib import Path

from babel.support import Translations

from bot.i18n.languages import SHIPPED_LANGUAGES, SOURCE_LANGUAGE

LOCALES = Path(__file__).with_name("locales")
DOMAIN = "messages"


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; translated where it is shown."""
    return message


class MissingCatalog(RuntimeError):
    """A shipped language whose compiled catalog is not installed (run `make catalogs`)."""


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of a shipped language; English, the templates' own language, needs none."""
    if language not in SHIPPED_LANGUAGES:
        raise MissingCatalog(f"{language!r} is not a shipped language")
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    path = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not path.is_file():
        raise MissingCatalog(f"{path} is missing: run `make catalogs`")
    with path.open("rb") as compiled:
        return Translations(compiled, domain=DOMAIN)


def translate(message: str, language: str) -> str:
    """`message` (an English msgid marked with N_) in `language`."""
    return translations(language).gettext(message)
