"""Text as people search and compare it: case- and accent-insensitive, compatibility-normalised."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """ "Zürich", "ZURICH" and its full-width spelling all fold to "zurich"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()
