"""Text that looks like something it is not: `alice@example.com` with its first letter a Cyrillic
a (U+0430) next to the Latin one, the same in full-width letters (U+FF41), a name holding a right-to-left override that
shows it backwards. Unicode's own data decides, through confusable_homoglyphs (the Unicode
confusables and script tables), never a table of our own."""

from __future__ import annotations

import unicodedata
from collections import Counter

from confusable_homoglyphs import categories, confusables

# Format characters (category Cf): bidi overrides and isolates, zero-width joiners and spaces,
# the byte-order mark. None belongs in a name or an address; each can make text display as
# something other than what it is.
_FORMAT = "Cf"


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _named(character: str) -> str:
    return f"U+{ord(character):04X} {unicodedata.name(character, 'unnamed character')}"


def refuse_invisible(text: str, *, what: str) -> None:
    for character in text:
        if unicodedata.category(character) == _FORMAT:
            raise ValueError(
                f"The {what} contains an invisible or right-to-left control character "
                f"({_named(character)}) that can make it display as something else; type it again without it."
            )


def refuse_mixed_scripts(text: str, *, what: str) -> None:
    """Refuses a word that mixes scripts with letters that look alike (Latin with a Cyrillic a)."""
    for word in text.replace("@", " ").replace(".", " ").split():
        found = confusables.is_dangerous(word)
        if not found:
            continue
        letter = _odd_one_out(word)
        raise ValueError(
            f"The {what} mixes letters of different scripts that look alike ({letter!r} is "
            f"{unicodedata.name(letter, 'another script').title()}); type it in one script."
        )


def _odd_one_out(word: str) -> str:
    """The first letter of the word's least used script: the one that does not belong."""
    scripts = [(categories.alias(c), c) for c in word if c.isalpha()]
    counts = Counter(alias for alias, _ in scripts)
    rarest = min(counts, key=lambda alias: counts[alias])
    return next(c for alias, c in scripts if alias == rarest)


def refuse_compatibility_forms(text: str, *, what: str) -> None:
    """Full-width and other compatibility letters (U+FF41 for a) display like plain ones but compare
    different: asked to be typed plainly rather than silently changed in an address."""
    normal = nfkc(text)
    if normal != text:
        raise ValueError(
            f"The {what} is written with full-width or other compatibility characters; type it as {normal!r}."
        )
