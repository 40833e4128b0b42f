"""Small Block Kit builders and limit look-ups for the validator's unit tests."""

from __future__ import annotations

import json
from typing import Any

from console.blockkit import BlockKitLimits
from tests.support.paths import BLOCKKIT_LIMITS

JSON = dict[str, Any]
RAW: JSON = json.loads(BLOCKKIT_LIMITS.read_text(encoding="utf-8"))
LIMITS = BlockKitLimits.load(BLOCKKIT_LIMITS)


def n(*keys: str) -> int:
    value: Any = RAW
    for key in keys:
        value = value[key]
    assert isinstance(value, int)
    return value


def plain(text: str) -> JSON:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> JSON:
    return {"type": "mrkdwn", "text": text}


def option(text: str, value: str) -> JSON:
    return {"text": plain(text), "value": value}


def options(count: int) -> list[JSON]:
    return [option(f"Option {i}", f"v{i}") for i in range(count)]


def button(action_id: str = "go", text: str = "Go", **extra: Any) -> JSON:
    return {"type": "button", "action_id": action_id, "text": plain(text), **extra}


def actions(*elements: JSON, block_id: str = "acts") -> JSON:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def input_block(element: JSON, block_id: str = "field", **extra: Any) -> JSON:
    return {"type": "input", "block_id": block_id, "label": plain("Field"), "element": element, **extra}


def modal(*blocks: JSON, **extra: Any) -> JSON:
    view = {"type": "modal", "title": plain("Title"), "submit": plain("Save"), "blocks": list(blocks)}
    view.update(extra)
    return view


def message_problems(*blocks: JSON) -> list[str]:
    return LIMITS.validate_message(list(blocks))


def in_modal(element: JSON) -> list[str]:
    return LIMITS.validate_view(modal(input_block(element)))
