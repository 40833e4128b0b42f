"""The languages e-mails and public pages are written in, and which one a customer gets.

English is the language of the templates themselves; every other language is a gettext
catalog under `bot/i18n/locales/<code>/LC_MESSAGES/messages.po`. Adding a language is adding
its code to `SHIPPED_LANGUAGES` and its catalog (README: "Adding a language").
"""

from __future__ import annotations

import re

from babel import Locale

SOURCE_LANGUAGE = "en"
# Code -> the language's own name (what the invitation modal shows next to a customer).
SHIPPED_LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "français",
    "nl": "Nederlands",
}
# `de`, `de-DE`, `de_AT`, `pt-BR`: a language and an optional region (BCP 47 / POSIX spelling).
_TAG = re.compile(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{2,8})*")


class UnknownLanguage(ValueError):
    """A language deskops has no catalog for; the text names the ones it has."""


def _base(tag: str) -> str | None:
    match = _TAG.fullmatch(tag.strip())
    return match.group(1).lower() if match else None


def shipped_codes() -> str:
    return ", ".join(SHIPPED_LANGUAGES)


def parse_language(value: str) -> str:
    """The shipped language `value` names (`de`, `DE`, `de-DE`, `de_AT` -> `de`).

    Raises UnknownLanguage naming the shipped languages for anything else.
    """
    base = _base(value)
    if base is None or base not in SHIPPED_LANGUAGES:
        raise UnknownLanguage(f"{value!r} is not a language deskops ships; use one of {shipped_codes()}")
    return base


def platform_language(value: str | None) -> str | None:
    """A backup platform's language setting (Acronis keeps one per tenant and user, e.g. `de`
    or `pt_BR`) as a shipped language, or None when it is unset or not shipped (the customer
    then gets LANGUAGE)."""
    if not value:
        return None
    base = _base(value)
    return base if base in SHIPPED_LANGUAGES else None


def language_or_default(language: str | None, default: str) -> str:
    """`language` when it is a shipped one, else `default` (the LANGUAGE setting)."""
    return language if language in SHIPPED_LANGUAGES else default


def language_name(code: str) -> str:
    """The language's own name, e.g. `Deutsch` for `de`."""
    return SHIPPED_LANGUAGES.get(code, code)


def language_label(code: str) -> str:
    """How helpdesk staff (who read English) see a language: `German (Deutsch)`, `English`."""
    english = str(Locale.parse(code).get_display_name("en"))
    own = language_name(code)
    return english if own == english else f"{english} ({own})"


def preferred_language(accept_language: str | None, default: str) -> str:
    """The shipped language a browser asks for first (`Accept-Language: nl-BE,nl;q=0.9,en;q=0.8`),
    else `default`: for pages that belong to no customer, such as an unknown link."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")[:20]):
        tag, _, weight = item.strip().partition(";")
        try:
            quality = float(weight.strip().removeprefix("q=")) if weight else 1.0
        except ValueError:
            continue
        language = platform_language(tag)
        if language is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else default


if __name__ == "__main__":
    # `make messages`: the languages that need a catalog (English is the templates' own).
    print(" ".join(code for code in SHIPPED_LANGUAGES if code != SOURCE_LANGUAGE))
