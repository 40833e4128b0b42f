"""Reading Slack payloads: view state values by block id, command text, carried values."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.errors import DomainError

M = TypeVar("M", bound=BaseModel)
_MAILTO = re.compile(r"<mailto:([^|>]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")


class ViewState:
    """`view.state.values`: {block_id: {action_id: element state}}."""

    def __init__(self, view: dict[str, Any]) -> None:
        self.values: dict[str, dict[str, Any]] = (view.get("state") or {}).get("values") or {}

    def _element(self, block_id: str) -> dict[str, Any]:
        block = self.values.get(block_id) or {}
        return next(iter(block.values()), {}) if block else {}

    def text(self, block_id: str) -> str | None:
        value = self._element(block_id).get("value")
        return str(value) if value is not None else None

    def selected(self, block_id: str) -> str | None:
        option = self._element(block_id).get("selected_option")
        return str(option["value"]) if option else None

    def selected_many(self, block_id: str) -> list[str]:
        return [str(option["value"]) for option in self._element(block_id).get("selected_options") or []]

    def has(self, block_id: str) -> bool:
        return block_id in self.values


class BadPayload(DomainError):
    """Something Slack sent us does not have the expected shape (or was tampered with)."""


def carried(model: type[M], raw: str | None) -> M:
    """A pydantic model from private_metadata or a button value."""
    try:
        return model.model_validate_json(raw or "")
    except ValidationError:
        raise BadPayload("This form or button is out of date; please start again.") from None


def unlink(text: str) -> str:
    """Command text as typed: Slack may turn e-mail addresses and URLs into <mailto:…|…> links."""
    text = _MAILTO.sub(lambda m: m.group(1), text)
    return _LINK.sub(lambda m: m.group(2), text)


MAX_ID_DIGITS = 18


def whole_number(value: str | None) -> int | None:
    """A select's value as the id deskops put there, or None for anything else. ASCII digits
    only: `str.isdigit` also accepts ² and other digits that `int()` refuses."""
    if value and value.isascii() and value.isdigit() and len(value) <= MAX_ID_DIGITS:
        return int(value)
    return None


def control_character(text: str) -> str | None:
    """The first control character in typed text (a NUL, which PostgreSQL refuses to store, an
    escape…), as U+XXXX, or None. Tabs and line breaks are spacing, not controls."""
    for character in text:
        if (ord(character) < 0x20 and character not in "\t\n\r") or 0x7F <= ord(character) < 0xA0:
            return f"U+{ord(character):04X}"
    return None
