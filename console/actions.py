"""What a person does in the console, done through the emulator's driver exactly as Slack does it:
slash commands (signed, with a trigger_id), messages, clicks and choices in messages, modals and
the Home tab (`block_actions`), submitting and closing modals, opening the Home tab.

The browser sends what it shows (block ids, action ids, values); every id is looked up in the
workspace again, and anything unknown is a `ConsoleError`, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from console.driver import Driver
from console.models import JSON, SlackError
from console.pages import ClientErrors
from console.suggestions import EXTERNAL_SELECTS
from console.typeahead import offer, pickable
from console.viewhandle import ViewHandle
from console.viewstate import STATE_KEYS, TEXT_INPUTS, find_action, find_block, find_element, pick_options
from console.workspace import Workspace

_OPTION_KEYS = frozenset({"selected_option", "selected_options"})
_URL = re.compile(r"https?://[^\s<>]+[^\s<>.,;:!?)\]'\"]")
_MENTION = re.compile(r"(?<![\w<@])@([a-z0-9._-]*[a-z0-9])", re.IGNORECASE)
_COMMAND = re.compile(r"^(/[a-z0-9_\-]+)(?:\s+(.*))?$", re.IGNORECASE | re.DOTALL)


class ConsoleError(Exception):
    """A request the console cannot carry out; the message is shown to the person."""


@dataclass(frozen=True)
class SlashCommand:
    command: str
    description: str = ""
    usage_hint: str = ""

    def suggestions(self) -> list[str]:
        """`/backup add [customer]`, … from the usage hint (`add [customer] | users [customer]`)."""
        hints = [h.strip() for h in self.usage_hint.split("|") if h.strip()]
        return [f"{self.command} {hint}" for hint in hints] or [self.command]


@dataclass(frozen=True)
class ElementRef:
    """An element the person acted on: which surface, which block and action, what they chose."""

    surface: str  # "message", "ephemeral" or "view"
    block_id: str
    action_id: str
    channel: str = ""
    ts: str = ""
    ephemeral: str = ""
    view: str = ""
    value: str | None = None  # a button's value (tells same-action_id buttons apart)
    chosen: Any = None  # option value(s), text, date… for anything that is not a button


def state_entry(element: Mapping[str, Any], raw: Any, offered: list[JSON] | None = None) -> JSON | None:
    """The `state.values` entry for what the browser says the element holds (None: unknown kind);
    an external select's options are those `offered` (see typeahead.pickable)."""
    kind = str(element.get("type"))
    key = STATE_KEYS.get(kind)
    if key is None or kind == "file_input":  # a file is held once uploaded (attach_file)
        return None
    if key in _OPTION_KEYS:
        values = [str(v) for v in (raw if isinstance(raw, list) else [raw]) if v not in (None, "")]
        try:
            options = pick_options(
                {"options": offered or []} if kind in EXTERNAL_SELECTS else element, values
            )
        except LookupError as error:
            raise ConsoleError(str(error)) from None
        held: Any = options if key == "selected_options" else (options[0] if options else None)
    elif key.endswith("s") and key != "value":  # selected_users, selected_channels, …
        held = [str(v) for v in (raw if isinstance(raw, list) else [raw]) if v]
    else:
        text = "" if raw is None else str(raw)
        if kind in TEXT_INPUTS and "max_length" in element:
            text = text[: int(element["max_length"])]
        held = text or None
    return {"type": kind, key: held}


def selection_of(entry: JSON) -> JSON:
    """What a block_actions action carries for a stateful element: its state entry without `type`."""
    return {k: v for k, v in entry.items() if k != "type"}


class ConsoleActions:
    def __init__(
        self,
        workspace: Workspace,
        driver: Driver,
        commands: Sequence[SlashCommand],
        client_errors: ClientErrors,
    ) -> None:
        self.ws = workspace
        self.driver = driver
        self.commands = {c.command: c for c in commands}
        self.client_errors = client_errors

    def _person(self, user_id: str) -> None:
        with self.ws.lock:
            user = self.ws.users.get(user_id)
            if user is None or user.is_bot:
                raise ConsoleError(f"nobody with id {user_id!r} in this workspace")

    def _channel(self, user_id: str, channel: str) -> str:
        with self.ws.lock:
            if channel == "dm":
                return self.ws.im_channel(user_id).id
            if channel not in self.ws.channels:
                raise ConsoleError(f"no channel {channel!r}")
            return channel

    # --- the message box ------------------------------------------------------------------

    def type_text(self, user_id: str, channel: str, text: str) -> str | None:
        """A slash command, or a plain message. Returns what the Slack client would say, if anything."""
        self._person(user_id)
        channel_id = self._channel(user_id, channel)
        text = text.strip()
        if not text:
            raise ConsoleError("type a message or a slash command such as /backup help")
        match = _COMMAND.match(text)
        if text.startswith("/") and match:
            command, rest = match.group(1).lower(), (match.group(2) or "").strip()
            if command not in self.commands:
                known = ", ".join(sorted(self.commands))
                return f"{command} is not a valid command. This app's commands: {known}."
            outcome = self.driver.person(user_id).slash(command, rest, channel=channel_id)
            return "; ".join(outcome.problems) or None
        try:
            self.ws.post_message(channel_id, text=self.as_mrkdwn(text), user=user_id, where="console message")
        except SlackError as error:
            raise ConsoleError(f"Slack refused the message: {error.error}") from None
        return None

    def as_mrkdwn(self, typed: str) -> str:
        """What the Slack client sends for typed text: &, <, > escaped, web addresses as links,
        @name, @group, @here as mentions."""
        escaped = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        with self.ws.lock:
            people = {u.name.lower(): u.id for u in self.ws.users.values() if not u.deleted}
            groups = {g.handle.lower(): g.id for g in self.ws.usergroups.values()}

        def mention(match: re.Match[str]) -> str:
            name = match.group(1).lower()
            if name in ("here", "channel", "everyone"):
                return f"<!{name}>"
            if name in people:
                return f"<@{people[name]}>"
            if name in groups:
                return f"<!subteam^{groups[name]}>"
            return match.group(0)

        parts = re.split(r"(<[^<>]+>)", _URL.sub(lambda m: f"<{m.group(0)}>", escaped))
        return "".join(part if part.startswith("<") else _MENTION.sub(mention, part) for part in parts)

    # --- elements -------------------------------------------------------------------------

    def act(self, user_id: str, ref: ElementRef, values: Mapping[str, Any] | None = None) -> str | None:
        self._person(user_id)
        try:
            if ref.surface == "view":
                return self._view_action(user_id, ref, values or {})
            if ref.surface in ("message", "ephemeral"):
                return self._message_action(user_id, ref)
        except (LookupError, ValueError, TypeError) as error:
            raise ConsoleError(str(error)) from None
        raise ConsoleError(f"unknown surface {ref.surface!r}")

    def _message_action(self, user_id: str, ref: ElementRef) -> str | None:
        person = self.driver.person(user_id)
        if ref.surface == "ephemeral":
            target: Any = self.ws.ephemeral(ref.ephemeral)
            if target.user != user_id:
                raise ConsoleError("that message is only visible to someone else")
        else:
            try:
                target = self.ws.find_message(ref.channel, ref.ts)
            except SlackError:
                raise ConsoleError("that message is gone") from None
        _, element = find_action(target.blocks, ref.action_id, ref.value)
        if element.get("type") == "button":
            outcome = person.click(target, ref.action_id, value=ref.value)
        else:
            entry = state_entry(element, ref.chosen)
            key = STATE_KEYS.get(str(element.get("type")), "")
            if entry is None or key not in _OPTION_KEYS or not entry[key]:
                raise ConsoleError(f"a {element.get('type')} in a message cannot be used here")
            chosen = [o["value"] for o in entry[key]] if key == "selected_options" else entry[key]["value"]
            outcome = person.choose(target, ref.action_id, chosen)
        return "; ".join(outcome.problems) or None

    def _open_view(self, user_id: str, view_id: str) -> JSON:
        views = self.ws.views
        if not views.is_open(view_id) or views.owner(view_id) != user_id:
            raise ConsoleError("that view is no longer open (it was updated or closed meanwhile)")
        return views.get(view_id)

    def apply_values(self, user_id: str, view_id: str, values: Mapping[str, Any]) -> None:
        """Copy what the person typed into input blocks to the view's state (no request is sent:
        Slack only sends input values with a submission or another interaction)."""
        view = self._open_view(user_id, view_id)
        for block in view["blocks"]:
            element = block.get("element")
            if block.get("type") != "input" or not isinstance(element, Mapping):
                continue
            typed = values.get(str(block.get("block_id")))
            if not isinstance(typed, Mapping) or str(element.get("action_id")) not in typed:
                continue
            offered = pickable(self.driver, view_id, str(block["block_id"]), element)
            entry = state_entry(element, typed[str(element["action_id"])], offered)
            if entry is not None:
                self.ws.views.set_value(view_id, str(block["block_id"]), str(element["action_id"]), entry)

    def _view_action(self, user_id: str, ref: ElementRef, values: Mapping[str, Any]) -> str | None:
        self.apply_values(user_id, ref.view, values)
        view = self._open_view(user_id, ref.view)
        if ref.value is not None:
            block, element = find_action(view["blocks"], ref.action_id, ref.value)
        else:
            block = find_block(view["blocks"], ref.block_id)
            element = find_element(view["blocks"], ref.block_id, ref.action_id)
        selection: JSON = {}
        if element.get("type") != "button":
            offered = pickable(self.driver, ref.view, str(block["block_id"]), element)
            entry = state_entry(element, ref.chosen, offered)
            if entry is None:
                raise ConsoleError(f"a {element.get('type')} cannot be used here")
            self.ws.views.set_value(ref.view, str(block["block_id"]), str(element["action_id"]), entry)
            selection = selection_of(entry)
            if block.get("type") == "input" and not block.get("dispatch_action"):
                return None  # Slack sends nothing for a plain input
        outcome = self.driver.view_action(user_id, ref.view, block, element, selection)
        return "; ".join(outcome.problems) or None

    def suggest(self, user_id: str, view_id: str, block_id: str, action_id: str, typed: str) -> list[JSON]:
        """The person typed into a type-ahead: the options the app offers (Slack's options request)."""
        self._person(user_id)
        try:
            return offer(self.driver, user_id, view_id, block_id, action_id, typed)
        except (LookupError, ValueError, TypeError) as error:
            raise ConsoleError(str(error)) from None

    # --- modals ---------------------------------------------------------------------------

    def submit(self, user_id: str, view_id: str, values: Mapping[str, Any]) -> str | None:
        self._person(user_id)
        self.apply_values(user_id, view_id, values)
        try:
            result = self.driver.submit(user_id, view_id, force=False)
        except RuntimeError as error:
            raise ConsoleError(str(error)) from None
        shown = result.view.view["hash"] if result.client_errors and result.view is not None else ""
        self.client_errors.set(view_id, shown, result.client_errors or {})
        return "; ".join(result.problems) or None

    def attach_file(
        self, user_id: str, view_id: str, block_id: str, action_id: str, name: str, data: bytes
    ) -> str | None:
        """The person picked a file in a file input: uploaded and held as Slack holds it."""
        self._person(user_id)
        self._open_view(user_id, view_id)
        try:
            ViewHandle(self.driver, user_id, view_id).attach_file(block_id, name, data, action_id=action_id)
        except (TypeError, ValueError, LookupError) as error:
            raise ConsoleError(str(error)) from None
        return None

    def close(self, user_id: str, view_id: str) -> str | None:
        self._person(user_id)
        top = self.ws.views.top(user_id)
        if top is None or top["id"] != view_id:
            raise ConsoleError("that modal is not the one on top")
        outcome = self.driver.close(user_id)
        self.client_errors.set(view_id, "", {})
        return "; ".join(outcome.problems) if outcome is not None and outcome.problems else None

    # --- App Home and ephemeral messages --------------------------------------------------

    def open_home(self, user_id: str) -> str | None:
        self._person(user_id)
        outcome = self.driver.person(user_id).open_home()
        return "; ".join(outcome.problems) or None

    def use_shortcut(self, user_id: str, callback_id: str) -> str | None:
        """A global shortcut of the app's manifest, picked from the console's shortcuts menu."""
        self._person(user_id)
        try:
            outcome = self.driver.person(user_id).shortcut(callback_id)
        except LookupError as error:
            raise ConsoleError(str(error)) from None
        return "; ".join(outcome.problems) or None

    def dismiss(self, user_id: str, ephemeral_id: str) -> None:
        self._person(user_id)
        with self.ws.lock:
            try:
                ephemeral = self.ws.ephemeral(ephemeral_id)
            except LookupError:
                raise ConsoleError("that message is gone") from None
            if ephemeral.user != user_id:
                raise ConsoleError("that message is only visible to someone else")
            ephemeral.deleted = True
