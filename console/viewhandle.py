"""A person's live handle on one open view (a modal or their Home tab): read it, type into it,
pick options, click, submit, close — with Slack's client-side rules (required fields, lengths,
e-mail/URL/number syntax) applied before anything is sent, as the Slack client does."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from console.files import FILE_INPUT_MAX_BYTES, file_entry
from console.models import JSON, iter_texts
from console.suggestions import EXTERNAL_SELECTS, OfferedOptions, OptionsOutcome
from console.transport import Delivery, Outcome
from console.viewstate import STATE_KEYS, TEXT_INPUTS, find_action, find_block, find_element, pick_options
from console.workspace import Workspace

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
REQUIRED = "Please complete this required field."


@dataclass
class SubmitResult:
    """What came of pressing Submit."""

    delivery: Delivery | None  # None when the Slack client refused to send (see client_errors)
    # what the person sees under the fields, block_id -> message: response_action "errors" from the
    # app, or the Slack client's own refusal (then client_errors is the same and nothing was sent)
    errors: dict[str, str] | None
    view: ViewHandle | None  # the top of the modal stack afterwards
    closed: bool  # the submitted view is gone (empty ack, or response_action clear)
    client_errors: dict[str, str] | None  # what the Slack client itself refused, block_id -> message
    problems: list[str]

    @property
    def status(self) -> int | None:
        return self.delivery.status if self.delivery is not None else None


class ViewDriver(Protocol):
    """What a view handle needs of the driver acting for its person."""

    @property
    def workspace(self) -> Workspace: ...

    def view_action(
        self, user_id: str, view_id: str, block: JSON, element: JSON, selection: JSON
    ) -> Outcome: ...

    def submit(self, user_id: str, view_id: str, *, force: bool) -> SubmitResult: ...

    def suggest(
        self, user_id: str, view_id: str, block: JSON, element: JSON, typed: str
    ) -> OptionsOutcome: ...

    @property
    def offered(self) -> OfferedOptions: ...

    def close(self, user_id: str) -> Outcome | None: ...

    def wait_until(self, predicate: Callable[[], Any], *, timeout: float, message: str) -> Any: ...


class ViewHandle:
    def __init__(self, driver: ViewDriver, user_id: str, view_id: str) -> None:
        self.driver = driver
        self.user_id = user_id
        self.id = view_id
        self.seen_hash = str(self.view["hash"]) if self.is_open else ""

    def __repr__(self) -> str:
        return f"ViewHandle({self.id!r}, user={self.user_id!r})"

    # --- reading --------------------------------------------------------------------------

    @property
    def view(self) -> JSON:
        """The view as Slack holds it now (a copy); LookupError once it is closed."""
        return self.driver.workspace.views.get(self.id)

    @property
    def is_open(self) -> bool:
        return self.driver.workspace.views.is_open(self.id)

    @property
    def callback_id(self) -> str:
        return str(self.view.get("callback_id", ""))

    @property
    def hash(self) -> str:
        return str(self.view["hash"])

    @property
    def title(self) -> str:
        title = self.view.get("title")
        return str(title.get("text", "")) if isinstance(title, Mapping) else ""

    @property
    def private_metadata(self) -> str:
        return str(self.view.get("private_metadata", ""))

    @property
    def blocks(self) -> list[JSON]:
        return list(self.view["blocks"])

    @property
    def values(self) -> dict[str, dict[str, JSON]]:
        return dict(self.view["state"]["values"])

    @property
    def errors(self) -> dict[str, str]:
        """The field errors the app returned with response_action "errors", shown under each input."""
        return self.driver.workspace.views.errors(self.id)

    def block(self, block_id: str) -> JSON:
        return find_block(self.blocks, block_id)

    def has_block(self, block_id: str) -> bool:
        return any(b.get("block_id") == block_id for b in self.blocks)

    def value(self, block_id: str, action_id: str | None = None) -> Any:
        """What the field holds: text, option value, list of option values, date… (None when empty)."""
        element = find_element(self.blocks, block_id, action_id)
        entry = self.values.get(block_id, {}).get(str(element.get("action_id")))
        if entry is None:
            return None
        key = STATE_KEYS[str(element["type"])]
        held = entry.get(key)
        if key == "selected_option":
            return held.get("value") if isinstance(held, Mapping) else None
        if key == "selected_options":
            return [o.get("value") for o in held or []]
        return held

    def all_text(self) -> str:
        return "\n".join(iter_texts([self.view.get("title"), self.blocks]))

    # --- doing ----------------------------------------------------------------------------

    def fill(self, block_id: str, text: str, *, action_id: str | None = None) -> Outcome | None:
        """Type `text` into a text, e-mail, URL or number input (replacing what was there). With
        dispatch_action on the input block, the app gets block_actions (as on Enter)."""
        block, element = self._element(block_id, action_id)
        kind = str(element["type"])
        if kind not in TEXT_INPUTS:
            raise TypeError(f"{block_id}: cannot type into a {kind}")
        if kind == "plain_text_input":
            if "max_length" in element and len(text) > int(element["max_length"]):
                raise ValueError(f"{block_id}: Slack stops typing at {element['max_length']} characters")
            if "\n" in text and not element.get("multiline"):
                raise ValueError(f"{block_id}: a single-line input takes no line breaks")
        entry = {"type": kind, "value": text or None}
        return self._set(block, element, entry, {"value": text or None})

    def type_ahead(self, block_id: str, typed: str, *, action_id: str | None = None) -> OptionsOutcome:
        """Type into a select menu of an external data source: Slack asks the app for options."""
        block, element = self._element(block_id, action_id)
        return self.driver.suggest(self.user_id, self.id, block, element, typed)

    def choose(
        self, block_id: str, chosen: str | list[str], *, action_id: str | None = None
    ) -> Outcome | None:
        """Pick option value(s) in a select, radio buttons, checkboxes or overflow menu; in an
        external select, among the options the app offered for what was typed last."""
        block, element = self._element(block_id, action_id)
        offered = None
        if element.get("type") in EXTERNAL_SELECTS:
            offered = self.driver.offered.shown(self.id, str(block["block_id"]), str(element["action_id"]))
        selection = selection_for(element, chosen, offered=offered)
        return self._set(block, element, {"type": element["type"], **selection}, selection)

    def tick(self, block_id: str, values: list[str], *, action_id: str | None = None) -> Outcome | None:
        """Leave exactly these checkboxes ticked."""
        block, element = self._element(block_id, action_id)
        if element.get("type") != "checkboxes":
            raise TypeError(f"{block_id}: {element.get('type')} has no checkboxes")
        selection = selection_for(element, list(values))
        return self._set(block, element, {"type": "checkboxes", **selection}, selection)

    def pick_date(self, block_id: str, day: str, *, action_id: str | None = None) -> Outcome | None:
        block, element = self._element(block_id, action_id)
        if element.get("type") != "datepicker" or not _DATE.match(day):
            raise ValueError(f"{block_id}: pick a YYYY-MM-DD date in a datepicker")
        return self._set(block, element, {"type": "datepicker", "selected_date": day}, {"selected_date": day})

    def pick_time(self, block_id: str, moment: str, *, action_id: str | None = None) -> Outcome | None:
        block, element = self._element(block_id, action_id)
        if element.get("type") != "timepicker" or not _TIME.match(moment):
            raise ValueError(f"{block_id}: pick an HH:mm time in a timepicker")
        return self._set(
            block, element, {"type": "timepicker", "selected_time": moment}, {"selected_time": moment}
        )

    def attach_file(self, block_id: str, name: str, data: bytes, *, action_id: str | None = None) -> JSON:
        """Pick a file in a file input: uploaded to the workspace as this person, then held in the
        view's state as Slack holds it (the file object, under `files`). Returns that object."""
        block, element = self._element(block_id, action_id)
        if element.get("type") != "file_input":
            raise TypeError(f"{block_id}: {element.get('type')} is not a file input")
        if len(data) > FILE_INPUT_MAX_BYTES:
            raise ValueError(f"{block_id}: Slack's file input takes files up to 10 MB")
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        allowed = element.get("filetypes")
        if allowed and extension not in allowed:
            raise ValueError(f"{block_id}: this file input takes {', '.join(allowed)} files only")
        files = self.driver.workspace.files
        stored = files.add(user=self.user_id, name=name, data=data, now=self.driver.workspace.now())
        entry = file_entry([stored.to_slack(files.base_url, self.driver.workspace.identity.team_id)])
        self.driver.workspace.views.set_value(
            self.id, str(block["block_id"]), str(element["action_id"]), entry
        )
        return dict(entry["files"][0])

    def click(self, action_id: str, *, value: str | None = None) -> Outcome:
        """Click a button in the view (block_actions with the view and its state)."""
        block, element = find_action(self.blocks, action_id, value)
        if element.get("type") != "button":
            raise TypeError(f"{action_id} is a {element.get('type')}, not a button")
        self.seen_hash = self.hash
        return self.driver.view_action(self.user_id, self.id, block, element, {})

    def submit(self, *, force: bool = False) -> SubmitResult:
        """Press Submit. Unless `force`, the Slack client's own checks come first: with a required
        field empty or an input it rejects, nothing is sent and `client_errors` says why."""
        self.seen_hash = self.hash
        return self.driver.submit(self.user_id, self.id, force=force)

    def close(self) -> Outcome | None:
        """Press Close; returns the view_closed delivery when the view has notify_on_close."""
        return self.driver.close(self.user_id)

    def wait_for_update(self, *, timeout: float = 5.0) -> ViewHandle:
        """Wait until the app has updated the view since this handle last acted on or saw it."""
        self.driver.wait_until(
            lambda: self.is_open and self.hash != self.seen_hash,
            timeout=timeout,
            message=f"view {self.id} ({self.callback_id}) was not updated",
        )
        self.seen_hash = self.hash
        return self

    # --- internals ------------------------------------------------------------------------

    def _element(self, block_id: str, action_id: str | None) -> tuple[JSON, JSON]:
        blocks = self.blocks
        return find_block(blocks, block_id), find_element(blocks, block_id, action_id)

    def _set(self, block: JSON, element: JSON, entry: JSON, selection: JSON) -> Outcome | None:
        views = self.driver.workspace.views
        self.seen_hash = self.hash
        if element.get("type") in STATE_KEYS:
            views.set_value(self.id, str(block["block_id"]), str(element["action_id"]), entry)
        dispatches = block.get("type") != "input" or bool(block.get("dispatch_action"))
        if not dispatches:
            return None
        return self.driver.view_action(self.user_id, self.id, block, element, selection)


def selection_for(
    element: Mapping[str, Any], chosen: str | list[str] | None, *, offered: list[JSON] | None = None
) -> JSON:
    """The part of an action (and of a state entry) that says what was picked; an external select's
    options are those `offered` by the app's last options answer."""
    kind = element.get("type")
    if kind == "button":
        if chosen is not None:
            raise ValueError("a button is clicked, not chosen")
        return {}
    if chosen is None:
        raise ValueError(f"{kind} {element.get('action_id')!r}: say which option(s) to choose")
    values = [chosen] if isinstance(chosen, str) else list(chosen)
    if kind in EXTERNAL_SELECTS:
        options = pick_options({"options": offered or []}, values)
    else:
        options = pick_options(element, values)
    if kind in ("checkboxes", "multi_static_select", "multi_external_select"):
        return {"selected_options": options}
    if kind not in ("static_select", "external_select", "radio_buttons", "overflow") or len(options) != 1:
        raise ValueError(f"{kind} {element.get('action_id')!r}: choose one option")
    return {"selected_option": options[0]}


def client_errors(view: JSON) -> dict[str, str]:
    """What the Slack client refuses before sending view_submission, block_id -> its message."""
    errors: dict[str, str] = {}
    values = view.get("state", {}).get("values", {})
    for block in view.get("blocks", []):
        if block.get("type") != "input" or not isinstance(block.get("element"), Mapping):
            continue
        element = block["element"]
        kind = str(element.get("type"))
        entry = values.get(block.get("block_id"), {}).get(element.get("action_id"), {})
        held = entry.get(STATE_KEYS.get(kind, "value"))
        if held in (None, "", []):
            if not block.get("optional"):
                errors[str(block["block_id"])] = REQUIRED
            continue
        problem = _input_problem(kind, element, held)
        if problem:
            errors[str(block["block_id"])] = problem
    return errors


def _input_problem(kind: str, element: Mapping[str, Any], held: Any) -> str | None:
    if kind == "plain_text_input":
        if len(held) < int(element.get("min_length", 0)):
            return f"Please enter at least {element['min_length']} characters."
    elif kind == "email_text_input" and not _EMAIL.match(held):
        return "Please enter a valid email address."
    elif kind == "url_text_input" and not _URL.match(held):
        return "Please enter a valid URL."
    elif kind == "number_input":
        try:
            number = float(held)
        except ValueError:
            return "Please enter a number."
        if not element.get("is_decimal_allowed") and not re.fullmatch(r"-?\d+", held):
            return "Please enter a whole number."
        if "min_value" in element and number < float(element["min_value"]):
            return f"Please enter a number of at least {element['min_value']}."
        if "max_value" in element and number > float(element["max_value"]):
            return f"Please enter a number of at most {element['max_value']}."
    return None
