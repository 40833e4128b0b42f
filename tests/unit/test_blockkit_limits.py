"""The Block Kit limits validator: text objects, blocks, surfaces and the limits file itself —
one test per kind of violation, every number read from the limits file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.blockkit import BlockKitLimits
from tests.unit.blockkit_payloads import (
    LIMITS,
    RAW,
    actions,
    button,
    in_modal,
    input_block,
    message_problems,
    modal,
    mrkdwn,
    n,
    option,
    options,
    plain,
)

# --- valid payloads ---------------------------------------------------------------------------


def test_a_message_using_every_block_type_within_the_limits_is_valid() -> None:
    blocks = [
        {"type": "header", "text": plain("Backup users")},
        {
            "type": "section",
            "text": mrkdwn("*Acme*"),
            "fields": [mrkdwn("Role"), mrkdwn("User")],
            "accessory": {"type": "overflow", "action_id": "more", "options": options(3)},
        },
        {"type": "divider"},
        {
            "type": "context",
            "elements": [
                mrkdwn("pending"),
                {"type": "image", "image_url": "https://x/y.png", "alt_text": "y"},
            ],
        },
        actions(
            button(style="primary", value="1"),
            {
                "type": "static_select",
                "action_id": "pick",
                "placeholder": plain("Pick"),
                "options": options(2),
                "initial_option": option("Option 1", "v1"),
            },
            {"type": "datepicker", "action_id": "day", "initial_date": "2024-02-29"},
            {"type": "checkboxes", "action_id": "ticks", "options": [{"text": mrkdwn("*a*"), "value": "a"}]},
        ),
        {"type": "image", "image_url": "https://x/y.png", "alt_text": "chart", "title": plain("Chart")},
    ]
    assert LIMITS.validate_message(blocks, text="fallback") == []


def test_a_modal_with_every_input_element_within_the_limits_is_valid() -> None:
    view = modal(
        input_block(
            {
                "type": "plain_text_input",
                "action_id": "a",
                "multiline": True,
                "min_length": 0,
                "max_length": 10,
            },
            "b1",
        ),
        input_block({"type": "email_text_input", "action_id": "a"}, "b2"),
        input_block({"type": "url_text_input", "action_id": "a"}, "b3"),
        input_block(
            {"type": "number_input", "action_id": "a", "is_decimal_allowed": False, "min_value": "0"}, "b4"
        ),
        input_block(
            {
                "type": "static_select",
                "action_id": "a",
                "option_groups": [{"label": plain("G"), "options": options(2)}],
            },
            "b5",
        ),
        input_block(
            {"type": "multi_static_select", "action_id": "a", "options": options(3), "max_selected_items": 2},
            "b6",
        ),
        input_block({"type": "radio_buttons", "action_id": "a", "options": options(2)}, "b7"),
        input_block(
            {
                "type": "checkboxes",
                "action_id": "a",
                "options": options(2),
                "initial_options": [option("Option 0", "v0")],
            },
            "b8",
        ),
        input_block({"type": "datepicker", "action_id": "a"}, "b9"),
        input_block({"type": "timepicker", "action_id": "a", "initial_time": "08:30"}, "b10"),
        callback_id="cb",
        private_metadata="{}",
        close=plain("Cancel"),
        notify_on_close=True,
    )
    assert LIMITS.validate_view(view) == []


# --- text objects -----------------------------------------------------------------------------


def test_button_text_over_its_limit_names_path_count_and_limit() -> None:
    limit = n("button", "text", "max_length")
    problems = message_problems({"type": "divider"}, actions(button(text="x" * (limit + 1))))
    assert problems == [f"blocks[1].elements[0].text.text: {limit + 1} characters > {limit} (button.text)"]


def test_text_objects_must_not_be_empty() -> None:
    problems = message_problems({"type": "section", "text": mrkdwn("")})
    assert problems == [f"blocks[0].text.text: 0 characters < {n('text', 'min_length')} (text.min_length)"]


def test_header_text_must_be_plain_text_within_its_limit() -> None:
    limit = n("header", "text", "max_length")
    assert message_problems({"type": "header", "text": mrkdwn("x")}) == [
        "blocks[0].text.type: must be plain_text"
    ]
    assert message_problems({"type": "header", "text": plain("x" * (limit + 1))}) == [
        f"blocks[0].text.text: {limit + 1} characters > {limit} (header.text)"
    ]


def test_unknown_text_object_type_and_missing_text() -> None:
    assert message_problems({"type": "section", "text": {"type": "markdown", "text": "x"}}) == [
        "blocks[0].text.type: unknown text object type 'markdown'"
    ]
    assert message_problems({"type": "section", "text": {"type": "mrkdwn"}}) == [
        "blocks[0].text.text: missing text"
    ]


def test_the_generic_text_limit_applies_where_no_specific_one_does() -> None:
    limit = n("text", "max_length")
    problems = message_problems({"type": "context", "elements": [mrkdwn("x" * (limit + 1))]})
    assert problems == [f"blocks[0].elements[0].text: {limit + 1} characters > {limit} (text)"]


# --- blocks -----------------------------------------------------------------------------------


def test_section_text_fields_and_accessory() -> None:
    fields_max, item_max = n("section", "fields", "max_items"), n("section", "fields", "item_max_length")
    assert message_problems({"type": "section"}) == ["blocks[0]: a section needs text or fields"]
    assert message_problems({"type": "section", "fields": [mrkdwn("f")] * (fields_max + 1)}) == [
        f"blocks[0].fields: {fields_max + 1} items > {fields_max} (section.fields)"
    ]
    assert message_problems({"type": "section", "fields": [mrkdwn("x" * (item_max + 1))]}) == [
        f"blocks[0].fields[0].text: {item_max + 1} characters > {item_max} (section.fields.item_max_length)"
    ]
    text_input = {"type": "plain_text_input", "action_id": "a"}
    assert message_problems({"type": "section", "text": mrkdwn("t"), "accessory": text_input}) == [
        "blocks[0].accessory.type: not allowed in a section accessory 'plain_text_input'"
    ]


def test_context_elements_count_and_kinds() -> None:
    limit = n("context", "elements", "max_items")
    assert message_problems({"type": "context", "elements": [mrkdwn("c")] * (limit + 1)}) == [
        f"blocks[0].elements: {limit + 1} items > {limit} (context.elements)"
    ]
    assert message_problems({"type": "context", "elements": [button()]}) == [
        "blocks[0].elements[0].type: not allowed in a context block 'button'"
    ]


def test_actions_elements_count() -> None:
    limit = n("actions", "elements", "max_items")
    many = [button(action_id=f"b{i}") for i in range(limit + 1)]
    assert message_problems(actions(*many)) == [
        f"blocks[0].elements: {limit + 1} items > {limit} (actions.elements)"
    ]


def test_duplicate_action_ids_within_one_block_but_not_across_blocks() -> None:
    problems = message_problems(actions(button("same"), button("same")))
    assert problems == [
        "blocks[0].elements[1].action_id: duplicate action_id 'same' in this block (also elements[0])"
    ]
    assert (
        message_problems(actions(button("same"), block_id="one"), actions(button("same"), block_id="two"))
        == []
    )


def test_duplicate_block_ids_in_a_message_and_in_a_view() -> None:
    assert message_problems({"type": "divider", "block_id": "x"}, {"type": "divider", "block_id": "x"}) == [
        "blocks[1].block_id: duplicate block_id 'x' (also blocks[0])"
    ]
    text_input = {"type": "plain_text_input", "action_id": "a"}
    view = modal(input_block(text_input, "name"), input_block(text_input, "name"))
    assert LIMITS.validate_view(view) == ["blocks[1].block_id: duplicate block_id 'name' (also blocks[0])"]


def test_block_id_and_action_id_lengths() -> None:
    block_max, action_max = n("block_id", "max_length"), n("action_id", "max_length")
    problems = message_problems(actions(button("a" * (action_max + 1)), block_id="b" * (block_max + 1)))
    assert problems == [
        f"blocks[0].block_id: {block_max + 1} characters > {block_max} (block_id)",
        f"blocks[0].elements[0].action_id: {action_max + 1} characters > {action_max} (action_id)",
    ]


def test_unknown_block_and_element_types() -> None:
    assert message_problems({"type": "rich_text", "elements": []}) == [
        "blocks[0].type: unknown block type 'rich_text'"
    ]
    assert message_problems(actions({"type": "fancy_button", "action_id": "f"})) == [
        "blocks[0].elements[0].type: unknown element type 'fancy_button'"
    ]
    assert message_problems(actions({"type": "plain_text_input", "action_id": "f"})) == [
        "blocks[0].elements[0].type: not allowed in an actions block 'plain_text_input'"
    ]


def test_input_block_label_hint_and_element() -> None:
    label_max, hint_max = n("input", "label", "max_length"), n("input", "hint", "max_length")
    element = {"type": "plain_text_input", "action_id": "a"}
    long_label = {
        **input_block(element),
        "label": plain("x" * (label_max + 1)),
        "hint": plain("y" * (hint_max + 1)),
    }
    assert LIMITS.validate_view(modal(long_label)) == [
        f"blocks[0].label.text: {label_max + 1} characters > {label_max} (input.label)",
        f"blocks[0].hint.text: {hint_max + 1} characters > {hint_max} (input.hint)",
    ]
    assert in_modal(button()) == ["blocks[0].element.type: not allowed in an input block 'button'"]
    assert LIMITS.validate_view(modal({"type": "input", "block_id": "b", "label": plain("L")})) == [
        "blocks[0].element: missing required field"
    ]


def test_image_block_limits() -> None:
    url_max, alt_max = n("image", "image_url", "max_length"), n("image", "alt_text", "max_length")
    block = {"type": "image", "image_url": "h" * (url_max + 1), "alt_text": "a" * (alt_max + 1)}
    assert message_problems(block) == [
        f"blocks[0].image_url: {url_max + 1} characters > {url_max} (image.image_url)",
        f"blocks[0].alt_text: {alt_max + 1} characters > {alt_max} (image.alt_text)",
    ]
    assert message_problems({"type": "image", "image_url": "https://x"}) == [
        "blocks[0].alt_text: missing required field"
    ]


# --- surfaces ---------------------------------------------------------------------------------


def test_view_title_close_submit_limits_and_required_title() -> None:
    limit = n("view", "title", "max_length")
    long = "x" * (limit + 1)
    view = modal({"type": "divider"}, title=plain(long), close=plain(long), submit=plain(long))
    assert LIMITS.validate_view(view) == [
        f"title.text: {limit + 1} characters > {limit} (view.title)",
        f"close.text: {limit + 1} characters > {n('view', 'close', 'max_length')} (view.close)",
        f"submit.text: {limit + 1} characters > {n('view', 'submit', 'max_length')} (view.submit)",
    ]
    untitled = modal({"type": "divider"})
    del untitled["title"]
    assert LIMITS.validate_view(untitled) == ["title: missing required text object"]


def test_view_string_fields_limits() -> None:
    fields = {
        field: "x" * (n("view", field, "max_length") + 1)
        for field in ("private_metadata", "callback_id", "external_id")
    }
    problems = LIMITS.validate_view(modal({"type": "divider"}, **fields))
    assert problems == [
        f"{field}: {len(value)} characters > {len(value) - 1} (view.{field})"
        for field, value in fields.items()
    ]


def test_view_block_count_bounds() -> None:
    low, high = n("view", "blocks", "min_items"), n("view", "blocks", "max_items")
    assert LIMITS.validate_view(modal()) == [f"blocks: 0 items < {low} (view.blocks)"]
    many = [{"type": "divider"} for _ in range(high + 1)]
    assert LIMITS.validate_view(modal(*many)) == [f"blocks: {high + 1} items > {high} (view.blocks)"]


def test_a_modal_with_inputs_needs_submit_and_views_need_a_known_type() -> None:
    view = modal(input_block({"type": "plain_text_input", "action_id": "a"}))
    del view["submit"]
    assert LIMITS.validate_view(view) == ["submit: a modal with input blocks needs a submit button"]
    assert LIMITS.validate_view({"type": "sheet", "blocks": []}) == ["type: unknown view type 'sheet'"]
    home = {"type": "home", "blocks": [{"type": "section", "text": mrkdwn("Dashboard")}]}
    assert LIMITS.validate_view(home) == []


def test_message_block_and_attachment_counts_and_attachment_blocks() -> None:
    high = n("message", "blocks", "max_items")
    assert LIMITS.validate_message([{"type": "divider"}] * (high + 1)) == [
        f"blocks: {high + 1} items > {high} (message.blocks)"
    ]
    attachments_max = n("message", "attachments", "max_items")
    assert LIMITS.validate_message(None, attachments=[{"text": "a"}] * (attachments_max + 1)) == [
        f"attachments: {attachments_max + 1} items > {attachments_max} (message.attachments)"
    ]
    attachment = {"blocks": [{"type": "header", "text": mrkdwn("h")}]}
    assert LIMITS.validate_message(None, attachments=[attachment]) == [
        "attachments[0].blocks[0].text.type: must be plain_text"
    ]


# --- the limits file --------------------------------------------------------------------------


def test_numbers_come_from_the_limits_file(tmp_path: Path) -> None:
    changed = json.loads(json.dumps(RAW))
    changed["button"]["text"]["max_length"] = 5
    path = tmp_path / "limits.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    problems = BlockKitLimits.load(path).validate_message([actions(button(text="Activate"))])
    assert problems == ["blocks[0].elements[0].text.text: 8 characters > 5 (button.text)"]


def test_a_limits_file_that_is_not_an_object_or_lacks_entries_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "limits.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(ValueError, match="JSON object"):
        BlockKitLimits.load(path)
    with pytest.raises(KeyError, match="text"):
        BlockKitLimits({"button": {}})
