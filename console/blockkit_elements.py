"""Checks of Block Kit composition objects and block elements against the limits file.

`ElementChecker` collects human-readable problems, each prefixed with the JSON path of the
offending value (`blocks[3].elements[0].text.text: 81 characters > 75 (button.text)`).
Every number comes from the limits file; the key named in parentheses is where it lives there.
The block- and surface-level walk is in `blockkit.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

SELECT_MENUS = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
    }
)
ACTIONS_ELEMENTS = SELECT_MENUS | {
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "timepicker",
    "overflow",
    "radio_buttons",
}
ACCESSORY_ELEMENTS = (ACTIONS_ELEMENTS - {"datetimepicker"}) | {"image"}
INPUT_ELEMENTS = SELECT_MENUS | {
    "file_input",
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
    "checkboxes",
    "radio_buttons",
    "datepicker",
    "datetimepicker",
    "timepicker",
}
_TRIGGER_ACTIONS = frozenset({"on_enter_pressed", "on_character_entered"})
_BUTTON_STYLES = frozenset({"primary", "danger"})


class ElementChecker:
    """Collects problems for one surface (a message or a view)."""

    def __init__(self, limits: Mapping[str, Any]) -> None:
        self._limits = limits
        self.problems: list[str] = []

    # --- limits file access ---------------------------------------------------------------

    def node(self, *keys: str) -> Mapping[str, Any]:
        current: Any = self._limits
        for key in keys:
            if not isinstance(current, Mapping) or key not in current:
                raise KeyError(f"the Block Kit limits file has no {'.'.join(keys)}")
            current = current[key]
        if not isinstance(current, Mapping):
            raise KeyError(f"the Block Kit limits file entry {'.'.join(keys)} is not an object")
        return current

    def limit(self, *keys: str) -> int:
        *parents, last = keys
        value = self.node(*parents)[last]
        if not isinstance(value, int):
            raise KeyError(f"the Block Kit limits file entry {'.'.join(keys)} is not a number")
        return value

    # --- primitive checks -----------------------------------------------------------------

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def string(self, path: str, value: Any, *key: str, required: bool = False) -> None:
        """A plain string field (value, url, action_id…) within `key.max_length`."""
        if value is None:
            if required:
                self.problem(path, "missing required field")
            return
        if not isinstance(value, str):
            self.problem(path, f"must be a string, not {type(value).__name__}")
            return
        if required and not value:
            self.problem(path, "must not be empty")
        node = self.node(*key)
        if "max_length" in node and len(value) > node["max_length"]:
            self.problem(path, f"{len(value)} characters > {node['max_length']} ({'.'.join(key)})")

    def count(self, path: str, items: Any, *key: str, required: bool = True) -> list[Any]:
        """A list within `key.min_items`/`key.max_items`; returns the list (empty when invalid)."""
        if items is None:
            if required:
                self.problem(path, "missing required field")
            return []
        if not isinstance(items, list):
            self.problem(path, f"must be a list, not {type(items).__name__}")
            return []
        node = self.node(*key)
        label = ".".join(key)
        if "min_items" in node and len(items) < node["min_items"]:
            self.problem(path, f"{len(items)} items < {node['min_items']} ({label})")
        if "max_items" in node and len(items) > node["max_items"]:
            self.problem(path, f"{len(items)} items > {node['max_items']} ({label})")
        return items

    def text(self, path: str, obj: Any, *key: str, plain_only: bool = True, required: bool = True) -> None:
        """A text object: known type, non-empty, within `key.max_length` and the generic limit."""
        if obj is None:
            if required:
                self.problem(path, "missing required text object")
            return
        if not isinstance(obj, Mapping):
            self.problem(path, "must be a text object")
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn"):
            self.problem(f"{path}.type", f"unknown text object type {kind!r}")
        elif plain_only and kind != "plain_text":
            self.problem(f"{path}.type", "must be plain_text")
        value = obj.get("text")
        if not isinstance(value, str):
            self.problem(f"{path}.text", "missing text")
            return
        minimum = self.limit("text", "min_length")
        if len(value) < minimum:
            self.problem(f"{path}.text", f"{len(value)} characters < {minimum} (text.min_length)")
            return
        before = len(self.problems)
        if key:
            self.string(f"{path}.text", value, *key)
        if len(self.problems) == before:
            self.string(f"{path}.text", value, "text")

    # --- composition objects --------------------------------------------------------------

    def confirm(self, path: str, obj: Any) -> None:
        if obj is None:
            return
        if not isinstance(obj, Mapping):
            self.problem(path, "must be a confirmation dialog object")
            return
        self.text(f"{path}.title", obj.get("title"), "confirmation", "title")
        self.text(f"{path}.text", obj.get("text"), "confirmation", "text", plain_only=False)
        self.text(f"{path}.confirm", obj.get("confirm"), "confirmation", "confirm")
        self.text(f"{path}.deny", obj.get("deny"), "confirmation", "deny")
        if obj.get("style") not in (None, *_BUTTON_STYLES):
            self.problem(f"{path}.style", f"unknown style {obj.get('style')!r}")

    def option(self, path: str, obj: Any, *, plain_only: bool, url_allowed: bool = False) -> None:
        if not isinstance(obj, Mapping):
            self.problem(path, "must be an option object")
            return
        self.text(f"{path}.text", obj.get("text"), "option", "text", plain_only=plain_only)
        self.string(f"{path}.value", obj.get("value"), "option", "value", required=True)
        self.text(f"{path}.description", obj.get("description"), "option", "description", required=False)
        if "url" in obj:
            if url_allowed:
                self.string(f"{path}.url", obj.get("url"), "option", "url")
            else:
                self.problem(f"{path}.url", "url is only allowed in overflow menu options")

    def options(self, path: str, items: Any, *key: str, plain_only: bool, url_allowed: bool = False) -> None:
        for index, item in enumerate(self.count(path, items, *key)):
            self.option(f"{path}[{index}]", item, plain_only=plain_only, url_allowed=url_allowed)

    def _initial(self, path: str, element: Mapping[str, Any], all_options: list[Any]) -> None:
        keys = {_option_key(o) for o in all_options if isinstance(o, Mapping)}
        if "initial_option" in element and _option_key(element["initial_option"]) not in keys:
            self.problem(f"{path}.initial_option", "does not match any of the options")
        initial = element.get("initial_options")
        if initial is not None:
            if not isinstance(initial, list):
                self.problem(f"{path}.initial_options", "must be a list")
                return
            for index, item in enumerate(initial):
                if _option_key(item) not in keys:
                    self.problem(f"{path}.initial_options[{index}]", "does not match any of the options")

    # --- elements -------------------------------------------------------------------------

    def element(self, path: str, element: Any, allowed: frozenset[str] | set[str], where: str) -> None:
        if not isinstance(element, Mapping):
            self.problem(path, "must be an element object")
            return
        kind = element.get("type")
        if not isinstance(kind, str) or kind not in allowed:
            known = kind in INPUT_ELEMENTS | ACCESSORY_ELEMENTS | ACTIONS_ELEMENTS
            reason = f"not allowed in {where}" if known else "unknown element type"
            self.problem(f"{path}.type", f"{reason} {kind!r}")
            return
        self.string(f"{path}.action_id", element.get("action_id"), "action_id")
        validator = self._validators().get(kind, ElementChecker._generic)
        validator(self, path, element)

    def _validators(self) -> dict[str, Callable[[ElementChecker, str, Mapping[str, Any]], None]]:
        return {
            "button": ElementChecker._button,
            "overflow": ElementChecker._overflow,
            "checkboxes": ElementChecker._checkboxes,
            "radio_buttons": ElementChecker._radio_buttons,
            "static_select": ElementChecker._static_select,
            "multi_static_select": ElementChecker._static_select,
            "plain_text_input": ElementChecker._plain_text_input,
            "email_text_input": ElementChecker._email_text_input,
            "url_text_input": ElementChecker._url_text_input,
            "number_input": ElementChecker._number_input,
            "datepicker": ElementChecker._datepicker,
            "timepicker": ElementChecker._timepicker,
            "image": ElementChecker._image,
            "file_input": ElementChecker._file_input,
        }

    def _file_input(self, path: str, element: Mapping[str, Any]) -> None:
        """max_files from 1 to 10 and filetypes a list of extensions (file input element reference)."""
        if "max_files" in element:
            low, high = (
                self.limit("file_input", "max_files", "min"),
                self.limit("file_input", "max_files", "max"),
            )
            count = element["max_files"]
            if not isinstance(count, int) or not low <= count <= high:
                self.problem(f"{path}.max_files", f"must be a whole number from {low} to {high}")
        types = element.get("filetypes")
        if types is not None and (not isinstance(types, list) or not all(isinstance(t, str) for t in types)):
            self.problem(f"{path}.filetypes", "must be a list of file extensions")

    def _generic(self, path: str, element: Mapping[str, Any]) -> None:
        """Selects fed by Slack itself (users, conversations, channels, external)."""
        self.text(f"{path}.placeholder", element.get("placeholder"), "select", "placeholder", required=False)
        self.confirm(f"{path}.confirm", element.get("confirm"))
        self._max_selected(path, element)
        selected_filter = element.get("filter")
        if isinstance(selected_filter, Mapping) and "include" in selected_filter:
            self.count(f"{path}.filter.include", selected_filter["include"], "conversation_filter", "include")

    def _max_selected(self, path: str, element: Mapping[str, Any]) -> None:
        if "max_selected_items" not in element:
            return
        minimum = self.limit("multi_select", "max_selected_items", "min")
        value = element["max_selected_items"]
        if not isinstance(value, int) or value < minimum:
            self.problem(
                f"{path}.max_selected_items", f"{value!r} < {minimum} (multi_select.max_selected_items.min)"
            )

    def _button(self, path: str, element: Mapping[str, Any]) -> None:
        self.text(f"{path}.text", element.get("text"), "button", "text")
        self.string(f"{path}.url", element.get("url"), "button", "url")
        self.string(f"{path}.value", element.get("value"), "button", "value")
        self.string(
            f"{path}.accessibility_label", element.get("accessibility_label"), "button", "accessibility_label"
        )
        if element.get("style") not in (None, *_BUTTON_STYLES):
            self.problem(f"{path}.style", f"unknown style {element.get('style')!r}")
        self.confirm(f"{path}.confirm", element.get("confirm"))

    def _overflow(self, path: str, element: Mapping[str, Any]) -> None:
        self.options(
            f"{path}.options",
            element.get("options"),
            "overflow",
            "options",
            plain_only=True,
            url_allowed=True,
        )
        self.confirm(f"{path}.confirm", element.get("confirm"))

    def _checkboxes(self, path: str, element: Mapping[str, Any]) -> None:
        options = element.get("options")
        self.options(f"{path}.options", options, "checkboxes", "options", plain_only=False)
        self._initial(path, element, options if isinstance(options, list) else [])
        self.confirm(f"{path}.confirm", element.get("confirm"))

    def _radio_buttons(self, path: str, element: Mapping[str, Any]) -> None:
        options = element.get("options")
        self.options(f"{path}.options", options, "radio_buttons", "options", plain_only=False)
        self._initial(path, element, options if isinstance(options, list) else [])
        self.confirm(f"{path}.confirm", element.get("confirm"))

    def _static_select(self, path: str, element: Mapping[str, Any]) -> None:
        self.text(f"{path}.placeholder", element.get("placeholder"), "select", "placeholder", required=False)
        options, groups = element.get("options"), element.get("option_groups")
        if (options is None) == (groups is None):
            self.problem(path, "needs exactly one of options or option_groups")
        every: list[Any] = []
        if options is not None:
            self.options(f"{path}.options", options, "select", "options", plain_only=True)
            every = options if isinstance(options, list) else []
        if groups is not None:
            for index, group in enumerate(
                self.count(f"{path}.option_groups", groups, "select", "option_groups")
            ):
                every.extend(self.option_group(f"{path}.option_groups[{index}]", group))
        self._initial(path, element, every)
        self._max_selected(path, element)
        self.confirm(f"{path}.confirm", element.get("confirm"))

    def option_group(self, path: str, group: Any) -> list[Any]:
        if not isinstance(group, Mapping):
            self.problem(path, "must be an option group object")
            return []
        self.text(f"{path}.label", group.get("label"), "option_group", "label")
        options = group.get("options")
        self.options(f"{path}.options", options, "option_group", "options", plain_only=True)
        return options if isinstance(options, list) else []

    def _plain_text_input(self, path: str, element: Mapping[str, Any]) -> None:
        self.text(
            f"{path}.placeholder",
            element.get("placeholder"),
            "plain_text_input",
            "placeholder",
            required=False,
        )
        bounds = {}
        for field in ("min_length", "max_length"):
            if field not in element:
                continue
            low, high = (self.limit("plain_text_input", field, edge) for edge in ("min", "max"))
            value = element[field]
            if not isinstance(value, int) or not low <= value <= high:
                self.problem(f"{path}.{field}", f"{value!r} outside {low}..{high} (plain_text_input.{field})")
            else:
                bounds[field] = value
        if bounds.get("min_length", 0) > bounds.get("max_length", bounds.get("min_length", 0)):
            self.problem(f"{path}.min_length", "greater than max_length")
        initial = element.get("initial_value")
        if initial is not None and not isinstance(initial, str):
            self.problem(f"{path}.initial_value", "must be a string")
        config = element.get("dispatch_action_config")
        if isinstance(config, Mapping):
            triggers = self.count(
                f"{path}.dispatch_action_config.trigger_actions_on",
                config.get("trigger_actions_on"),
                "dispatch_action_configuration",
                "trigger_actions_on",
            )
            for index, trigger in enumerate(triggers):
                if trigger not in _TRIGGER_ACTIONS:
                    self.problem(
                        f"{path}.dispatch_action_config.trigger_actions_on[{index}]", f"unknown {trigger!r}"
                    )

    def _email_text_input(self, path: str, element: Mapping[str, Any]) -> None:
        self.text(
            f"{path}.placeholder", element.get("placeholder"), "email_input", "placeholder", required=False
        )

    def _url_text_input(self, path: str, element: Mapping[str, Any]) -> None:
        self.text(
            f"{path}.placeholder", element.get("placeholder"), "url_input", "placeholder", required=False
        )

    def _number_input(self, path: str, element: Mapping[str, Any]) -> None:
        self.text(
            f"{path}.placeholder", element.get("placeholder"), "number_input", "placeholder", required=False
        )
        if not isinstance(element.get("is_decimal_allowed"), bool):
            self.problem(f"{path}.is_decimal_allowed", "missing required boolean")
        for field in ("initial_value", "min_value", "max_value"):
            value = element.get(field)
            if value is not None and (not isinstance(value, str) or not _NUMBER.match(value)):
                self.problem(f"{path}.{field}", f"{value!r} is not a number string")

    def _datepicker(self, path: str, element: Mapping[str, Any]) -> None:
        self.text(
            f"{path}.placeholder", element.get("placeholder"), "date_picker", "placeholder", required=False
        )
        initial = element.get("initial_date")
        if initial is not None and not _is_date(initial):
            self.problem(f"{path}.initial_date", f"{initial!r} is not YYYY-MM-DD")
        self.confirm(f"{path}.confirm", element.get("confirm"))

    def _timepicker(self, path: str, element: Mapping[str, Any]) -> None:
        self.text(
            f"{path}.placeholder", element.get("placeholder"), "time_picker", "placeholder", required=False
        )
        initial = element.get("initial_time")
        if initial is not None and (not isinstance(initial, str) or not _TIME.match(initial)):
            self.problem(f"{path}.initial_time", f"{initial!r} is not HH:mm")
        self.confirm(f"{path}.confirm", element.get("confirm"))

    def _image(self, path: str, element: Mapping[str, Any]) -> None:
        self.string(f"{path}.image_url", element.get("image_url"), "image", "image_url", required=True)
        self.string(f"{path}.alt_text", element.get("alt_text"), "image", "alt_text", required=True)


def _option_key(option: Any) -> tuple[Any, Any]:
    if not isinstance(option, Mapping):
        return (None, None)
    text = option.get("text")
    return (option.get("value"), text.get("text") if isinstance(text, Mapping) else None)


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
