"""How hard a password is to guess, as zxcvbn estimates it (an attacker's own model: common
passwords and words, names, repeats, sequences, keyboard walks, dates, and the person's own name
and e-mail address), and why one is refused, in words the activation page translates."""

from __future__ import annotations

import unicodedata
from typing import Any

from zxcvbn import zxcvbn

from bot.i18n.catalogs import N_

# zxcvbn scores 0-4; 3 is "safely unguessable: moderate protection from an offline slow-hash
# scenario" (the stored hash is argon2).
MIN_SCORE = 3
NOT_TEXT = N_("The password must be text: it holds control characters or bytes that are not UTF-8.")
WHY: dict[str, str] = {
    "user_inputs": N_("This password is easy to guess: it contains your name or e-mail address."),
    "repeat": N_("This password is easy to guess: it repeats characters or words (like aaa or abcabc)."),
    "sequence": N_("This password is easy to guess: it is a sequence (like abcd or 1234)."),
    "spatial": N_("This password is easy to guess: it follows the keyboard (like qwerty)."),
    "dictionary": N_("This password is easy to guess: it is made of common words, names or passwords."),
    "date": N_("This password is easy to guess: it contains a date or a year."),
    "regex": N_("This password is easy to guess: it contains a date or a year."),
}
TOO_SIMPLE = N_("This password is easy to guess: add more words or characters.")


def not_text(password: str) -> bool:
    """Control characters, lone surrogates or U+FFFD (what a lenient decoder makes of bytes that
    are not UTF-8): nothing a person types as a password."""
    return any(unicodedata.category(c) in ("Cc", "Cs") or c == "\ufffd" for c in password)


def weakness(password: str, *, personal: list[str]) -> str | None:
    """Why the password is too easy to guess (a message to translate), or None."""
    estimate: dict[str, Any] = zxcvbn(password, user_inputs=[p for p in personal if p])
    if estimate["score"] >= MIN_SCORE:
        return None
    patterns = [
        "user_inputs" if match.get("dictionary_name") == "user_inputs" else str(match["pattern"])
        for match in estimate["sequence"]
    ]
    for pattern in ("user_inputs", *WHY):
        if pattern in patterns:
            return WHY[pattern]
    return TOO_SIMPLE
