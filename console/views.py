"""Modals (a stack of up to 3 views per person), App Home tabs and trigger_ids of the emulated workspace.

Part of `Workspace` (it shares the workspace lock, clock and validator). Views are stored in the
shape Slack returns them (`id`, `hash`, `state.values`, `root_view_id`, …); readers get copies.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from console.models import JSON, AppIdentity, SlackError, Trigger, User
from console.viewstate import fill_ids, initial_values, input_block_ids, preserved_values, random_id

TRIGGER_TTL = timedelta(seconds=3)
MAX_STACK = 3  # a modal plus 2 pushed views


@dataclass(frozen=True)
class Closed:
    """Views taken off a person's stack by closing the top one (several when it clears the stack)."""

    views: list[JSON]
    is_cleared: bool


class ViewHost(Protocol):
    """What views need of the workspace that holds them (its lock, clock, people and checks)."""

    identity: AppIdentity

    @property
    def lock(self) -> Any: ...

    def now(self) -> datetime: ...

    def add_problem(self, problem: str) -> None: ...

    def check_view(self, where: str, view: Any) -> None: ...

    def user(self, user_id: str) -> User: ...


class ViewStore:
    def __init__(self, workspace: ViewHost) -> None:
        self._ws = workspace
        self._views: dict[str, JSON] = {}
        self._owners: dict[str, str] = {}
        self._stacks: dict[str, list[str]] = {}
        self._homes: dict[str, str] = {}
        self._triggers: dict[str, Trigger] = {}
        self._used_triggers: set[str] = set()
        self._errors: dict[str, dict[str, str]] = {}

    # --- triggers -------------------------------------------------------------------------

    def issue_trigger(self, user_id: str, *, view_id: str | None = None) -> str:
        with self._ws.lock:
            now = self._ws.now()
            trigger_id = f"{int(now.timestamp())}.{abs(hash(user_id)) % 10**10}.{random_id(32).lower()}"
            view_type = self._views[view_id]["type"] if view_id in self._views else None
            self._triggers[trigger_id] = Trigger(trigger_id, user_id, now, view_id, view_type)
            return trigger_id

    def _exchange(self, trigger_id: Any) -> Trigger:
        if not isinstance(trigger_id, str) or not trigger_id:
            raise SlackError("invalid_arguments", ["[ERROR] missing required field: trigger_id"])
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger_id in self._used_triggers:
            raise SlackError("exchanged_trigger_id")
        if self._ws.now() - trigger.issued_at > TRIGGER_TTL:
            raise SlackError("expired_trigger_id")
        self._used_triggers.add(trigger_id)
        return trigger

    # --- Web API operations ---------------------------------------------------------------

    def open(self, trigger_id: Any, view: Any) -> JSON:
        with self._ws.lock:
            self._check("views.open", view, "modal")
            trigger = self._exchange(trigger_id)
            if trigger.view_type == "modal":
                # Slack's maintainers: this "may work by chance" in today's clients and races with the
                # closing of the submitted view; views.push or a response_action is the reliable way.
                self._ws.add_problem(
                    f"views.open: trigger_id from an interaction in modal {trigger.view_id}; "
                    "use views.push or response_action (update/push) instead"
                )
            # A new modal replaces whatever stack the person had open.
            for old in self._stacks.pop(trigger.user_id, []):
                self._forget(old)
            record = self._build(view, trigger.user_id, previous=None, root=None)
            self._stacks[trigger.user_id] = [record["id"]]
            return copy.deepcopy(record)

    def push(self, trigger_id: Any, view: Any) -> JSON:
        with self._ws.lock:
            self._check("views.push", view, "modal")
            trigger = self._exchange(trigger_id)
            return copy.deepcopy(self._push(trigger.user_id, view))

    def _push(self, user_id: str, view: Any) -> JSON:
        stack = self._stacks.get(user_id, [])
        if not stack:
            raise SlackError("invalid_arguments", ["[ERROR] views.push needs a modal open for this user"])
        if len(stack) >= MAX_STACK:
            raise SlackError("push_limit_reached")
        record = self._build(view, user_id, previous=stack[-1], root=stack[0])
        stack.append(record["id"])
        return record

    def update(
        self, view: Any, *, view_id: Any = None, external_id: Any = None, view_hash: Any = None
    ) -> JSON:
        with self._ws.lock:
            if not view_id and not external_id:
                raise SlackError("invalid_arguments", ["[ERROR] either view_id or external_id is required"])
            current = self._find(view_id, external_id)
            self._check("views.update", view, str(current["type"]), replacing=current["id"])
            if view_hash and view_hash != current["hash"]:
                raise SlackError("hash_conflict")
            return copy.deepcopy(self._replace(current, view))

    def publish(self, user_id: Any, view: Any, *, view_hash: Any = None) -> JSON:
        with self._ws.lock:
            if not isinstance(user_id, str) or not user_id:
                raise SlackError("invalid_arguments", ["[ERROR] missing required field: user_id"])
            self._ws.user(user_id)
            current_id = self._homes.get(user_id)
            self._check("views.publish", view, "home", replacing=current_id)
            if current_id is not None:
                current = self._views[current_id]
                if view_hash and view_hash != current["hash"]:
                    raise SlackError("hash_conflict")
                return copy.deepcopy(self._replace(current, view))
            record = self._build(view, user_id, previous=None, root=None)
            self._homes[user_id] = record["id"]
            return copy.deepcopy(record)

    # --- what the person does -------------------------------------------------------------

    def respond_update(self, view_id: str, view: Any) -> JSON:
        """response_action "update": the submitted view is replaced, keeping its id."""
        with self._ws.lock:
            current = self._views[view_id]
            self._check("response_action update", view, "modal", replacing=view_id)
            return copy.deepcopy(self._replace(current, view))

    def respond_push(self, user_id: str, view: Any) -> JSON:
        with self._ws.lock:
            self._check("response_action push", view, "modal")
            return copy.deepcopy(self._push(user_id, view))

    def set_value(self, view_id: str, block_id: str, action_id: str, entry: JSON) -> JSON:
        """The person typed or picked something: the view's state.values changes, not its hash."""
        with self._ws.lock:
            record = self._views[view_id]
            record["state"]["values"].setdefault(block_id, {})[action_id] = copy.deepcopy(entry)
            return copy.deepcopy(record)

    def close_top(self, user_id: str) -> Closed:
        """The person pressed Close (or the X): one view goes, or all of them with clear_on_close."""
        with self._ws.lock:
            stack = self._stacks.get(user_id, [])
            if not stack:
                raise LookupError(f"{user_id} has no modal open")
            if self._views[stack[-1]].get("clear_on_close"):
                return Closed(self._clear(user_id), is_cleared=True)
            view_id = stack.pop()
            return Closed([self._forget(view_id)], is_cleared=False)

    def close_top_after_submit(self, user_id: str) -> JSON:
        """The app acked a submission with an empty body: the submitted (top) view closes."""
        with self._ws.lock:
            stack = self._stacks.get(user_id, [])
            if not stack:
                raise LookupError(f"{user_id} has no modal open")
            return self._forget(stack.pop())

    def clear(self, user_id: str) -> list[JSON]:
        with self._ws.lock:
            return self._clear(user_id)

    def _clear(self, user_id: str) -> list[JSON]:
        return [self._forget(view_id) for view_id in reversed(self._stacks.pop(user_id, []))]

    def set_errors(self, view_id: str, errors: Mapping[str, str]) -> None:
        with self._ws.lock:
            self._errors[view_id] = dict(errors)

    # --- reading --------------------------------------------------------------------------

    def get(self, view_id: str) -> JSON:
        with self._ws.lock:
            if view_id not in self._views:
                raise LookupError(f"view {view_id} is not open")
            return copy.deepcopy(self._views[view_id])

    def is_open(self, view_id: str) -> bool:
        with self._ws.lock:
            return view_id in self._views

    def owner(self, view_id: str) -> str:
        with self._ws.lock:
            return self._owners[view_id]

    def stack(self, user_id: str) -> list[JSON]:
        with self._ws.lock:
            return [copy.deepcopy(self._views[v]) for v in self._stacks.get(user_id, [])]

    def top(self, user_id: str) -> JSON | None:
        with self._ws.lock:
            stack = self._stacks.get(user_id)
            return copy.deepcopy(self._views[stack[-1]]) if stack else None

    def home(self, user_id: str) -> JSON | None:
        with self._ws.lock:
            view_id = self._homes.get(user_id)
            return copy.deepcopy(self._views[view_id]) if view_id else None

    def errors(self, view_id: str) -> dict[str, str]:
        with self._ws.lock:
            return dict(self._errors.get(view_id, {}))

    # --- internals ------------------------------------------------------------------------

    def _check(self, where: str, view: Any, expected_type: str, *, replacing: str | None = None) -> None:
        if not isinstance(view, Mapping):
            raise SlackError("invalid_arguments", ["[ERROR] missing required field: view"])
        if view.get("type") != expected_type:
            message = f"[ERROR] {where} needs a view of type {expected_type!r}, got {view.get('type')!r}"
            raise SlackError("invalid_arguments", [message])
        self._ws.check_view(where, view)
        external_id = view.get("external_id")
        if external_id:
            for other in self._views.values():
                if other["external_id"] == external_id and other["id"] != replacing:
                    raise SlackError("duplicate_external_id")

    def _find(self, view_id: Any, external_id: Any) -> JSON:
        for record in self._views.values():
            if (view_id and record["id"] == view_id) or (
                external_id and record["external_id"] == external_id
            ):
                return record
        raise SlackError("not_found")

    def _new_hash(self) -> str:
        return f"{int(self._ws.now().timestamp())}.{random_id(8)}"

    def _build(
        self, view: Mapping[str, Any], user_id: str, *, previous: str | None, root: str | None
    ) -> JSON:
        identity = self._ws.identity
        view_id = "V" + random_id(10).upper()
        blocks = fill_ids(list(view.get("blocks", [])))
        record: JSON = {
            "id": view_id,
            "team_id": identity.team_id,
            "type": view["type"],
            "blocks": blocks,
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": initial_values(blocks)},
            "hash": self._new_hash(),
            "title": copy.deepcopy(view.get("title")),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": copy.deepcopy(view.get("close")),
            "submit": copy.deepcopy(view.get("submit")),
            "previous_view_id": previous,
            "root_view_id": root or view_id,
            "app_id": identity.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": identity.team_id,
            "bot_id": identity.bot_id,
        }
        if "submit_disabled" in view:
            record["submit_disabled"] = view["submit_disabled"]
        self._views[view_id] = record
        self._owners[view_id] = user_id
        return record

    def _replace(self, current: JSON, view: Mapping[str, Any]) -> JSON:
        """Slack's update: same id and stack position, new hash, typed input kept."""
        blocks = fill_ids(list(view.get("blocks", [])))
        current.update(
            {
                "blocks": blocks,
                "state": {"values": preserved_values(current["state"]["values"], blocks)},
                "hash": self._new_hash(),
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view.get("callback_id", ""),
                "title": copy.deepcopy(view.get("title")),
                "close": copy.deepcopy(view.get("close")),
                "submit": copy.deepcopy(view.get("submit")),
                "clear_on_close": bool(view.get("clear_on_close", False)),
                "notify_on_close": bool(view.get("notify_on_close", False)),
                "external_id": view.get("external_id", current["external_id"]),
            }
        )
        self._errors.pop(current["id"], None)
        return current

    def _forget(self, view_id: str) -> JSON:
        self._errors.pop(view_id, None)
        self._owners.pop(view_id, None)
        return self._views.pop(view_id)

    def input_block_ids(self, view_id: str) -> list[str]:
        with self._ws.lock:
            return input_block_ids(self._views[view_id]["blocks"])
