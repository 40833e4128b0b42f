"""How Slack keeps `view.state.values`: what each element holds, its initial value, and what survives
a views.update (input elements whose block_id and action_id stay the same keep what was typed)."""

from __future__ import annotations

import copy
import random
import string
from collections.abc import Iterator, Mapping
from typing import Any

JSON = dict[str, Any]

# element type -> the key its state entry (and a block_actions action) carries the value under
STATE_KEYS: dict[str, str] = {
    "plain_text_input": "value",
    "email_text_input": "value",
    "url_text_input": "value",
    "number_input": "value",
    "static_select": "selected_option",
    "external_select": "selected_option",
    "radio_buttons": "selected_option",
    "multi_static_select": "selected_options",
    "multi_external_select": "selected_options",
    "checkboxes": "selected_options",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    # https://docs.slack.dev/reference/block-kit/block-elements/file-input-element (no initial value)
    "file_input": "files",
}
_INITIAL_KEYS: dict[str, str] = {
    "value": "initial_value",
    "selected_option": "initial_option",
    "selected_options": "initial_options",
    "selected_date": "initial_date",
    "selected_time": "initial_time",
    "selected_date_time": "initial_date_time",
    "selected_user": "initial_user",
    "selected_users": "initial_users",
    "selected_conversation": "initial_conversation",
    "selected_conversations": "initial_conversations",
    "selected_channel": "initial_channel",
    "selected_channels": "initial_channels",
}
_LIST_KEYS = frozenset(
    {"files", "selected_options", "selected_users", "selected_conversations", "selected_channels"}
)
TEXT_INPUTS = frozenset({"plain_text_input", "email_text_input", "url_text_input", "number_input"})


def random_id(length: int = 5) -> str:
    return "".join(random.choices(string.ascii_letters + string.digits, k=length))


def fill_ids(blocks: list[JSON]) -> list[JSON]:
    """A deep copy with the block_ids and action_ids Slack generates when a payload leaves them out."""
    filled = copy.deepcopy(blocks)
    for block in filled:
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", random_id(4))
        for element in _block_elements(block):
            if (
                element.get("type") not in ("image", "plain_text", "mrkdwn")
                and block.get("type") != "context"
            ):
                element.setdefault("action_id", random_id())
    return filled


def _block_elements(block: Mapping[str, Any]) -> Iterator[JSON]:
    if block.get("type") == "actions":
        yield from (e for e in block.get("elements", []) if isinstance(e, dict))
    for key in ("accessory", "element"):
        element = block.get(key)
        if isinstance(element, dict):
            yield element


def stateful_elements(blocks: list[JSON]) -> Iterator[tuple[str, str, JSON, bool]]:
    """(block_id, action_id, element, in_input_block) of every element that holds a value."""
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        for element in _block_elements(block):
            if element.get("type") in STATE_KEYS:
                yield (
                    str(block.get("block_id", "")),
                    str(element.get("action_id", "")),
                    element,
                    block.get("type") == "input",
                )


def empty_entry(element: Mapping[str, Any]) -> JSON:
    kind = str(element.get("type"))
    key = STATE_KEYS[kind]
    return {"type": kind, key: [] if key in _LIST_KEYS else None}


def initial_entry(element: Mapping[str, Any]) -> JSON | None:
    """The state entry the element starts with, None when it has no initial_* value."""
    kind = str(element.get("type"))
    key = STATE_KEYS[kind]
    if key not in _INITIAL_KEYS:
        return None
    initial = element.get(_INITIAL_KEYS[key])
    if initial is None:
        return None
    return {"type": kind, key: copy.deepcopy(initial)}


def initial_values(blocks: list[JSON]) -> dict[str, dict[str, JSON]]:
    """state.values of a fresh view: every input element, other elements only with an initial value."""
    values: dict[str, dict[str, JSON]] = {}
    for block_id, action_id, element, in_input in stateful_elements(blocks):
        entry = initial_entry(element)
        if entry is None and in_input:
            entry = empty_entry(element)
        if entry is not None:
            values.setdefault(block_id, {})[action_id] = entry
    return values


def preserved_values(
    old_values: Mapping[str, Mapping[str, JSON]], new_blocks: list[JSON]
) -> dict[str, dict[str, JSON]]:
    """state.values after an update: input elements with an unchanged block_id, action_id and type
    keep their current entry (Slack ignores the new initial_value for them); the rest start afresh."""
    values = initial_values(new_blocks)
    for block_id, action_id, element, in_input in stateful_elements(new_blocks):
        old = old_values.get(block_id, {}).get(action_id)
        if in_input and old is not None and old.get("type") == element.get("type"):
            values.setdefault(block_id, {})[action_id] = copy.deepcopy(dict(old))
    return values


def input_block_ids(blocks: list[JSON]) -> list[str]:
    return [
        str(b["block_id"])
        for b in blocks
        if isinstance(b, Mapping) and b.get("type") == "input" and "block_id" in b
    ]


def find_block(blocks: list[JSON], block_id: str) -> JSON:
    for block in blocks:
        if isinstance(block, dict) and block.get("block_id") == block_id:
            return block
    have = [b.get("block_id") for b in blocks if isinstance(b, Mapping)]
    raise LookupError(f"no block {block_id!r}; block_ids: {have}")


def find_element(blocks: list[JSON], block_id: str, action_id: str | None = None) -> JSON:
    """The element of `block_id`; `action_id` may be left out when the block has exactly one."""
    block = find_block(blocks, block_id)
    elements = list(_block_elements(block))
    if action_id is not None:
        elements = [e for e in elements if e.get("action_id") == action_id]
    if len(elements) != 1:
        have = [e.get("action_id") for e in _block_elements(block)]
        raise LookupError(f"block {block_id!r}: pick one of action_ids {have} (asked for {action_id!r})")
    return elements[0]


def find_action(blocks: list[JSON], action_id: str, value: str | None = None) -> tuple[JSON, JSON]:
    """(block, element) of the element with `action_id` (and button `value`, when given)."""
    found = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        for element in _block_elements(block):
            if element.get("action_id") == action_id and (value is None or element.get("value") == value):
                found.append((block, element))
    if len(found) != 1:
        raise LookupError(f"{len(found)} elements with action_id {action_id!r} value {value!r}")
    return found[0]


def all_options(element: Mapping[str, Any]) -> list[JSON]:
    options = [o for o in element.get("options", []) if isinstance(o, dict)]
    for group in element.get("option_groups", []):
        if isinstance(group, Mapping):
            options.extend(o for o in group.get("options", []) if isinstance(o, dict))
    return options


def pick_options(element: Mapping[str, Any], values: list[str]) -> list[JSON]:
    """The option objects with these values, as Slack echoes them back; LookupError for unknown ones."""
    options = {str(o.get("value")): o for o in all_options(element)}
    missing = [v for v in values if v not in options]
    if missing:
        raise LookupError(
            f"element {element.get('action_id')!r} has no option {missing}; options: {list(options)}"
        )
    return [copy.deepcopy(options[v]) for v in values]
