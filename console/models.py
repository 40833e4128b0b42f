"""Plain records of the emulated workspace, each able to render itself the way Slack's API does."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

JSON = dict[str, Any]


class SlackError(Exception):
    """A Web API error: `error` is Slack's error name, `messages` go to response_metadata."""

    def __init__(self, error: str, messages: list[str] | None = None, *, recorded: bool = False) -> None:
        super().__init__(error if not messages else f"{error}: {'; '.join(messages)}")
        self.error = error
        self.messages = messages or []
        self.recorded = recorded  # its cause is already in the workspace's problems


@dataclass(frozen=True)
class AppIdentity:
    """Who the bot is in the emulated workspace (what auth.test and every payload report)."""

    team_id: str = "T0DESKOPS"
    team_domain: str = "deskops-msp"
    team_name: str = "Deskops MSP"
    app_id: str = "A0DESKOPS"
    bot_id: str = "B0DESKOPS"
    bot_user_id: str = "U0DESKBOT"
    bot_name: str = "deskops"
    # The deprecated verification token Slack still puts into every payload.
    verification_token: str = "deskops-verification-token"  # noqa: S105 (not a secret)


@dataclass
class User:
    id: str
    name: str
    real_name: str = ""
    email: str | None = None
    display_name: str = ""
    tz: str = "UTC"
    is_bot: bool = False
    is_admin: bool = False
    deleted: bool = False

    def to_slack(self, team_id: str) -> JSON:
        offset = 0
        try:
            delta = datetime.now(ZoneInfo(self.tz)).utcoffset()
            offset = int(delta.total_seconds()) if delta is not None else 0
        except ZoneInfoNotFoundError:
            pass
        first, _, last = self.real_name.partition(" ")
        profile: JSON = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "first_name": first,
            "last_name": last,
            "team": team_id,
        }
        if self.email is not None:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": offset,
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 0,
        }


@dataclass
class Channel:
    id: str
    name: str
    members: set[str] = field(default_factory=set)
    is_private: bool = False
    bot_is_member: bool = False
    im_user: str | None = None  # set for the bot's direct-message channel with that user

    @property
    def is_im(self) -> bool:
        return self.im_user is not None

    def to_slack(self) -> JSON:
        if self.im_user is not None:
            return {"id": self.id, "is_im": True, "user": self.im_user, "is_open": True, "created": 0}
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": False,
            "is_general": False,
            "is_member": self.bot_is_member,
            "created": 0,
            "num_members": len(self.members) + (1 if self.bot_is_member else 0),
        }


@dataclass
class Usergroup:
    id: str
    handle: str
    name: str
    users: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Button:
    block_id: str
    action_id: str
    text: str
    value: str | None
    url: str | None
    style: str | None


@dataclass
class Message:
    """A message in a channel (or the bot's DM); `blocks` carry the block_ids Slack filled in."""

    channel: str
    ts: str
    text: str
    blocks: list[JSON] = field(default_factory=list)
    user: str | None = None
    bot_id: str | None = None
    thread_ts: str | None = None
    attachments: list[JSON] = field(default_factory=list)
    edited_ts: str | None = None  # when chat.update or a response_url last replaced it
    deleted: bool = False
    extra: JSON = field(default_factory=dict)  # metadata, unfurl flags…, kept as sent

    def to_slack(self, identity: AppIdentity) -> JSON:
        body: JSON = {"type": "message", "text": self.text, "ts": self.ts}
        if self.bot_id is not None:
            body.update({"bot_id": self.bot_id, "app_id": identity.app_id})
        if self.user is not None:
            body["user"] = self.user
        body["team"] = identity.team_id
        if self.blocks:
            body["blocks"] = copy.deepcopy(self.blocks)
        if self.attachments:
            body["attachments"] = copy.deepcopy(self.attachments)
        if self.thread_ts is not None:
            body["thread_ts"] = self.thread_ts
        if self.edited_ts is not None:
            body["edited"] = {"user": self.user or identity.bot_user_id, "ts": self.edited_ts}
        if "metadata" in self.extra:
            body["metadata"] = self.extra["metadata"]
        if "files" in self.extra:  # a message sharing files (files.completeUploadExternal)
            body["files"] = copy.deepcopy(self.extra["files"])
        return body

    @property
    def edited(self) -> bool:
        return self.edited_ts is not None

    def buttons(self) -> list[Button]:
        return list(iter_buttons(self.blocks))

    def button(self, action_id: str, value: str | None = None) -> Button:
        return find_button(self.blocks, action_id, value)

    def all_text(self) -> str:
        """Every text the message shows, fallback text included, one per line (for assertions)."""
        return "\n".join([self.text, *iter_texts(self.blocks)])


@dataclass
class Ephemeral:
    """A message only `user` sees: chat.postEphemeral, a slash command's ack body, a response_url post."""

    id: str
    channel: str
    user: str
    ts: str
    text: str
    blocks: list[JSON] = field(default_factory=list)
    source: Literal["chat.postEphemeral", "ack", "response_url"] = "chat.postEphemeral"
    deleted: bool = False

    def buttons(self) -> list[Button]:
        return list(iter_buttons(self.blocks))

    def button(self, action_id: str, value: str | None = None) -> Button:
        return find_button(self.blocks, action_id, value)

    def all_text(self) -> str:
        return "\n".join([self.text, *iter_texts(self.blocks)])


@dataclass(frozen=True)
class Trigger:
    id: str
    user_id: str
    issued_at: datetime
    view_id: str | None  # the view the interaction came from, if any
    view_type: str | None  # "modal" or "home" for such a view


@dataclass
class ResponseTarget:
    """What a response_url points at: the channel, and the message or ephemeral it came from."""

    id: str
    user_id: str
    channel_id: str
    created_at: datetime
    message_ts: str | None = None
    ephemeral_id: str | None = None
    uses: int = 0


@dataclass(frozen=True)
class ResponsePost:
    """One POST the bot made to a response_url, as recorded."""

    target_id: str
    payload: JSON
    status: int
    at: datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def iter_elements(blocks: list[JSON]) -> Iterator[tuple[JSON, JSON]]:
    """(block, element) for every interactive element of a block list."""
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if isinstance(element, dict):
                yield dict(block), element
        for key in ("accessory", "element"):
            element = block.get(key)
            if isinstance(element, dict):
                yield dict(block), element


def iter_buttons(blocks: list[JSON]) -> Iterator[Button]:
    for block, element in iter_elements(blocks):
        if element.get("type") == "button":
            yield Button(
                block_id=str(block.get("block_id", "")),
                action_id=str(element.get("action_id", "")),
                text=str(element.get("text", {}).get("text", "")),
                value=element.get("value"),
                url=element.get("url"),
                style=element.get("style"),
            )


def find_button(blocks: list[JSON], action_id: str, value: str | None) -> Button:
    found = [
        b for b in iter_buttons(blocks) if b.action_id == action_id and (value is None or b.value == value)
    ]
    if not found:
        have = [(b.action_id, b.value) for b in iter_buttons(blocks)]
        raise LookupError(f"no button with action_id {action_id!r} value {value!r}; buttons: {have}")
    if len(found) > 1:
        raise LookupError(f"{len(found)} buttons with action_id {action_id!r}: pass value= to pick one")
    return found[0]


def iter_texts(node: Any) -> Iterator[str]:
    """Every `text` string of the text objects inside blocks, depth first."""
    if isinstance(node, list):
        for item in node:
            yield from iter_texts(item)
    elif isinstance(node, Mapping):
        if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
            yield node["text"]
            return
        for value in node.values():
            yield from iter_texts(value)
