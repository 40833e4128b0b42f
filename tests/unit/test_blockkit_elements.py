"""The Block Kit limits validator on elements and composition objects: buttons, confirmation
dialogs, options and option groups, selects, overflow, checkboxes, radios, text/number/date inputs."""

from __future__ import annotations

import pytest

from tests.unit.blockkit_payloads import (
    actions,
    button,
    in_modal,
    message_problems,
    n,
    option,
    options,
    plain,
)

# --- elements ---------------------------------------------------------------------------------


def test_button_url_value_style_and_accessibility_label() -> None:
    url_max, value_max = n("button", "url", "max_length"), n("button", "value", "max_length")
    label_max = n("button", "accessibility_label", "max_length")
    element = button(
        url="u" * (url_max + 1),
        value="v" * (value_max + 1),
        style="fancy",
        accessibility_label="l" * (label_max + 1),
    )
    assert message_problems(actions(element)) == [
        f"blocks[0].elements[0].url: {url_max + 1} characters > {url_max} (button.url)",
        f"blocks[0].elements[0].value: {value_max + 1} characters > {value_max} (button.value)",
        f"blocks[0].elements[0].accessibility_label: {label_max + 1} characters > {label_max}"
        f" (button.accessibility_label)",
        "blocks[0].elements[0].style: unknown style 'fancy'",
    ]


def test_confirmation_dialog_limits_and_required_parts() -> None:
    maxima = {part: n("confirmation", part, "max_length") for part in ("title", "text", "confirm", "deny")}
    confirm = {part: plain("x" * (limit + 1)) for part, limit in maxima.items()}
    problems = message_problems(actions(button(confirm=confirm)))
    assert problems == [
        f"blocks[0].elements[0].confirm.{part}.text: {limit + 1} characters > {limit} (confirmation.{part})"
        for part, limit in maxima.items()
    ]
    assert message_problems(actions(button(confirm={"title": plain("Sure?")}))) == [
        "blocks[0].elements[0].confirm.text: missing required text object",
        "blocks[0].elements[0].confirm.confirm: missing required text object",
        "blocks[0].elements[0].confirm.deny: missing required text object",
    ]


def test_option_text_value_description_and_url() -> None:
    text_max, value_max = n("option", "text", "max_length"), n("option", "value", "max_length")
    description_max = n("option", "description", "max_length")
    bad = {
        "text": plain("t" * (text_max + 1)),
        "value": "v" * (value_max + 1),
        "description": plain("d" * (description_max + 1)),
        "url": "https://x",
    }
    problems = in_modal({"type": "static_select", "action_id": "s", "options": [bad]})
    assert problems == [
        f"blocks[0].element.options[0].text.text: {text_max + 1} characters > {text_max} (option.text)",
        f"blocks[0].element.options[0].value: {value_max + 1} characters > {value_max} (option.value)",
        f"blocks[0].element.options[0].description.text: {description_max + 1} characters > {description_max}"
        f" (option.description)",
        "blocks[0].element.options[0].url: url is only allowed in overflow menu options",
    ]


def test_select_options_counts_groups_and_initial_option() -> None:
    limit = n("select", "options", "max_items")
    assert in_modal({"type": "static_select", "action_id": "s", "options": options(limit + 1)}) == [
        f"blocks[0].element.options: {limit + 1} items > {limit} (select.options)"
    ]
    assert in_modal({"type": "static_select", "action_id": "s"}) == [
        "blocks[0].element: needs exactly one of options or option_groups"
    ]
    group = {"label": plain("g" * (n("option_group", "label", "max_length") + 1)), "options": []}
    problems = in_modal({"type": "static_select", "action_id": "s", "option_groups": [group]})
    label_max = n("option_group", "label", "max_length")
    assert problems == [
        f"blocks[0].element.option_groups[0].label.text: {label_max + 1} characters > {label_max}"
        f" (option_group.label)",
        f"blocks[0].element.option_groups[0].options: 0 items < {n('option_group', 'options', 'min_items')}"
        f" (option_group.options)",
    ]
    stray = {
        "type": "static_select",
        "action_id": "s",
        "options": options(2),
        "initial_option": option("No", "no"),
    }
    assert in_modal(stray) == ["blocks[0].element.initial_option: does not match any of the options"]


def test_select_placeholder_and_multi_select_max_selected_items() -> None:
    limit = n("select", "placeholder", "max_length")
    element = {
        "type": "multi_static_select",
        "action_id": "m",
        "options": options(2),
        "placeholder": plain("p" * (limit + 1)),
        "max_selected_items": 0,
    }
    minimum = n("multi_select", "max_selected_items", "min")
    assert in_modal(element) == [
        f"blocks[0].element.placeholder.text: {limit + 1} characters > {limit} (select.placeholder)",
        f"blocks[0].element.max_selected_items: 0 < {minimum} (multi_select.max_selected_items.min)",
    ]


def test_overflow_checkboxes_and_radio_option_counts() -> None:
    for kind, key in [
        ("overflow", "overflow"),
        ("checkboxes", "checkboxes"),
        ("radio_buttons", "radio_buttons"),
    ]:
        low, high = n(key, "options", "min_items"), n(key, "options", "max_items")
        assert message_problems(actions({"type": kind, "action_id": "o", "options": options(high + 1)})) == [
            f"blocks[0].elements[0].options: {high + 1} items > {high} ({key}.options)"
        ], kind
        assert message_problems(actions({"type": kind, "action_id": "o", "options": options(low - 1)})) == [
            f"blocks[0].elements[0].options: {low - 1} items < {low} ({key}.options)"
        ], kind


def test_overflow_options_may_carry_a_url_within_its_limit() -> None:
    limit = n("option", "url", "max_length")
    ok = {**option("Docs", "docs"), "url": "https://example.com/docs"}
    too_long = {**option("Docs", "docs"), "url": "u" * (limit + 1)}
    assert message_problems(actions({"type": "overflow", "action_id": "o", "options": [ok]})) == []
    assert message_problems(actions({"type": "overflow", "action_id": "o", "options": [too_long]})) == [
        f"blocks[0].elements[0].options[0].url: {limit + 1} characters > {limit} (option.url)"
    ]


def test_checkbox_initial_options_must_be_among_the_options() -> None:
    element = {
        "type": "checkboxes",
        "action_id": "c",
        "options": options(2),
        "initial_options": [option("X", "x")],
    }
    assert in_modal(element) == ["blocks[0].element.initial_options[0]: does not match any of the options"]


def test_plain_text_input_length_bounds_placeholder_and_dispatch_config() -> None:
    min_low, min_high = n("plain_text_input", "min_length", "min"), n("plain_text_input", "min_length", "max")
    max_low = n("plain_text_input", "max_length", "min")
    placeholder_max = n("plain_text_input", "placeholder", "max_length")
    element = {
        "type": "plain_text_input",
        "action_id": "t",
        "min_length": min_high + 1,
        "max_length": max_low - 1,
        "placeholder": plain("p" * (placeholder_max + 1)),
    }
    max_high = n("plain_text_input", "max_length", "max")
    assert in_modal(element) == [
        f"blocks[0].element.placeholder.text: {placeholder_max + 1} characters > {placeholder_max}"
        f" (plain_text_input.placeholder)",
        f"blocks[0].element.min_length: {min_high + 1} outside {min_low}..{min_high}"
        f" (plain_text_input.min_length)",
        f"blocks[0].element.max_length: {max_low - 1} outside {max_low}..{max_high}"
        f" (plain_text_input.max_length)",
    ]
    assert in_modal({"type": "plain_text_input", "action_id": "t", "min_length": 5, "max_length": 4}) == [
        "blocks[0].element.min_length: greater than max_length"
    ]
    trigger_max = n("dispatch_action_configuration", "trigger_actions_on", "max_items")
    triggers = ["on_enter_pressed"] * (trigger_max + 1)
    config = {
        "type": "plain_text_input",
        "action_id": "t",
        "dispatch_action_config": {"trigger_actions_on": triggers},
    }
    assert in_modal(config) == [
        f"blocks[0].element.dispatch_action_config.trigger_actions_on: {trigger_max + 1} items > "
        f"{trigger_max} (dispatch_action_configuration.trigger_actions_on)"
    ]
    unknown = {**config, "dispatch_action_config": {"trigger_actions_on": ["on_blur"]}}
    assert in_modal(unknown) == [
        "blocks[0].element.dispatch_action_config.trigger_actions_on[0]: unknown 'on_blur'"
    ]


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("email_text_input", "email_input"),
        ("url_text_input", "url_input"),
        ("datepicker", "date_picker"),
        ("timepicker", "time_picker"),
    ],
)
def test_input_placeholders(kind: str, key: str) -> None:
    limit = n(key, "placeholder", "max_length")
    assert in_modal({"type": kind, "action_id": "a", "placeholder": plain("p" * (limit + 1))}) == [
        f"blocks[0].element.placeholder.text: {limit + 1} characters > {limit} ({key}.placeholder)"
    ]


def test_number_input_needs_is_decimal_allowed_and_number_strings() -> None:
    assert in_modal({"type": "number_input", "action_id": "n"}) == [
        "blocks[0].element.is_decimal_allowed: missing required boolean"
    ]
    element = {"type": "number_input", "action_id": "n", "is_decimal_allowed": False, "min_value": "ten"}
    assert in_modal(element) == ["blocks[0].element.min_value: 'ten' is not a number string"]


def test_date_and_time_pickers_need_valid_initial_values() -> None:
    assert in_modal({"type": "datepicker", "action_id": "d", "initial_date": "2023-02-30"}) == [
        "blocks[0].element.initial_date: '2023-02-30' is not YYYY-MM-DD"
    ]
    assert in_modal({"type": "timepicker", "action_id": "t", "initial_time": "24:00"}) == [
        "blocks[0].element.initial_time: '24:00' is not HH:mm"
    ]


def test_conversation_filter_include_must_not_be_empty() -> None:
    element = {"type": "conversations_select", "action_id": "c", "filter": {"include": []}}
    minimum = n("conversation_filter", "include", "min_items")
    assert in_modal(element) == [
        f"blocks[0].element.filter.include: 0 items < {minimum} (conversation_filter.include)"
    ]
