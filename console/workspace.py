"""The state of the emulated Slack workspace: people, channels, user groups, messages, ephemeral
messages, response_urls and (through `ViewStore`) modals and App Home tabs.

Plain Python, no HTTP: the Web API (`webapi.py`), the person driver (`driver.py`) and, later, a
browser console all act on one `Workspace`. Every method takes the workspace lock, so they may be
called from the Web API server thread and a test thread at once. Errors are `SlackError`s named
as Slack names them.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from console.blockkit import BlockKitLimits
from console.clock import Clock, SystemClock
from console.files import FileStore
from console.models import (
    JSON,
    AppIdentity,
    Channel,
    Ephemeral,
    Message,
    ResponsePost,
    ResponseTarget,
    SlackError,
    User,
    Usergroup,
)
from console.views import ViewStore
from console.viewstate import fill_ids, random_id

# A response_url takes up to 5 posts within 30 minutes (Slack's documented allowance).
RESPONSE_URL_USES = 5
RESPONSE_URL_TTL = timedelta(minutes=30)


class Workspace:
    def __init__(
        self, limits: BlockKitLimits, *, identity: AppIdentity | None = None, clock: Clock | None = None
    ) -> None:
        self.limits = limits
        self.identity = identity or AppIdentity()
        self.clock: Clock = clock or SystemClock()
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, Usergroup] = {}
        self._messages: dict[str, list[Message]] = {}
        self._ephemerals: list[Ephemeral] = []
        self._responses: dict[str, ResponseTarget] = {}
        self.response_posts: list[ResponsePost] = []
        self._problems: list[str] = []
        self._last_ts = 0.0
        self.views = ViewStore(self)
        self.files = FileStore()
        self.add_user(
            self.identity.bot_user_id, name=self.identity.bot_name, real_name="deskops", is_bot=True
        )

    # --- time and problems ----------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def new_ts(self) -> str:
        """A message timestamp: the clock's time, made unique and increasing."""
        with self.lock:
            value = max(self.now().timestamp(), self._last_ts + 0.000001)
            self._last_ts = value
            return f"{value:.6f}"

    def add_problem(self, problem: str) -> None:
        with self.lock:
            self._problems.append(problem)

    @property
    def problems(self) -> list[str]:
        with self.lock:
            return list(self._problems)

    def take_problems(self) -> list[str]:
        with self.lock:
            taken, self._problems = self._problems, []
            return taken

    def check_message(self, where: str, blocks: Any, text: Any = None, attachments: Any = None) -> None:
        """Record and raise `invalid_blocks` when the message breaks a Block Kit limit."""
        found = self.limits.validate_message(blocks, text if isinstance(text, str) else None, attachments)
        if found:
            for problem in found:
                self.add_problem(f"{where}: {problem}")
            raise SlackError("invalid_blocks", [f"[ERROR] {p}" for p in found], recorded=True)

    def check_view(self, where: str, view: Any) -> None:
        """Record and raise `invalid_arguments` (what Slack answers for a bad view) on a limits problem."""
        found = self.limits.validate_view(view)
        if found:
            for problem in found:
                self.add_problem(f"{where}: {problem}")
            raise SlackError("invalid_arguments", [f"[ERROR] {p}" for p in found], recorded=True)

    # --- directory ------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        real_name: str = "",
        email: str | None = None,
        display_name: str = "",
        tz: str = "UTC",
        is_bot: bool = False,
        is_admin: bool = False,
    ) -> User:
        user = User(user_id, name, real_name, email, display_name, tz, is_bot, is_admin)
        with self.lock:
            self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str,
        members: list[str] | None = None,
        bot_is_member: bool = True,
        is_private: bool = False,
    ) -> Channel:
        channel = Channel(channel_id, name, set(members or []), is_private, bot_is_member)
        with self.lock:
            self.channels[channel_id] = channel
            self._messages.setdefault(channel_id, [])
        return channel

    def add_usergroup(self, group_id: str, *, handle: str, users: list[str], name: str = "") -> Usergroup:
        group = Usergroup(group_id, handle, name or handle, list(users))
        with self.lock:
            self.usergroups[group_id] = group
        return group

    def user(self, user_id: str) -> User:
        with self.lock:
            if user_id not in self.users:
                raise SlackError("user_not_found")
            return self.users[user_id]

    def user_by_email(self, email: str) -> User:
        with self.lock:
            for user in self.users.values():
                if user.email is not None and user.email.lower() == email.lower():
                    return user
        raise SlackError("users_not_found")

    def usergroup(self, group_id: str) -> Usergroup:
        with self.lock:
            if group_id not in self.usergroups:
                raise SlackError("no_such_subteam")
            return self.usergroups[group_id]

    def channel(self, channel_id: str) -> Channel:
        """A channel the bot can see: a private one it is not in does not exist for it (as in Slack)."""
        with self.lock:
            channel = self.channels.get(channel_id)
            if channel is None or (channel.is_private and not channel.bot_is_member):
                raise SlackError("channel_not_found")
            return channel

    def im_channel(self, user_id: str) -> Channel:
        """The bot's direct-message channel with a person, opened on first use."""
        with self.lock:
            self.user(user_id)
            for channel in self.channels.values():
                if channel.im_user == user_id:
                    return channel
            channel_id = "D" + user_id.lstrip("UW")[:8].ljust(8, "0")
            channel = Channel(channel_id, channel_id, {user_id}, True, True, im_user=user_id)
            self.channels[channel_id] = channel
            self._messages.setdefault(channel_id, [])
            return channel

    def resolve_target(self, channel_arg: str) -> Channel:
        """Where chat.* posts go: a user id means the bot's DM with that person, as in Slack."""
        if channel_arg[:1] in ("U", "W") and channel_arg in self.users:
            return self.im_channel(channel_arg)
        return self.channel(channel_arg)

    # --- messages -------------------------------------------------------------------------

    def post_message(
        self,
        channel_arg: str,
        *,
        text: str = "",
        blocks: list[JSON] | None = None,
        attachments: list[JSON] | None = None,
        thread_ts: str | None = None,
        user: str | None = None,
        extra: JSON | None = None,
        where: str = "chat.postMessage",
    ) -> Message:
        """A message from the bot (or from `user`). Raises not_in_channel, no_text, invalid_blocks…"""
        with self.lock:
            channel = self.resolve_target(channel_arg)
            if user is None and not channel.bot_is_member:
                raise SlackError("not_in_channel")
            if not text and not blocks and not attachments and not (extra or {}).get("files"):
                raise SlackError("no_text")
            self.check_message(where, blocks, text, attachments)
            message = Message(
                channel=channel.id,
                ts=self.new_ts(),
                text=text,
                blocks=fill_ids(blocks or []),
                user=user or self.identity.bot_user_id,
                bot_id=None if user else self.identity.bot_id,
                thread_ts=thread_ts,
                attachments=copy.deepcopy(attachments or []),
                extra=dict(extra or {}),
            )
            self._messages[channel.id].append(message)
            return message

    def find_message(self, channel_arg: str, ts: str) -> Message:
        with self.lock:
            channel = self.resolve_target(channel_arg)
            for message in self._messages[channel.id]:
                if message.ts == ts and not message.deleted:
                    return message
            raise SlackError("message_not_found")

    def update_message(
        self,
        channel_arg: str,
        ts: str,
        *,
        text: str | None = None,
        blocks: list[JSON] | None = None,
        attachments: list[JSON] | None = None,
        where: str = "chat.update",
    ) -> Message:
        with self.lock:
            message = self.find_message(channel_arg, ts)
            if message.bot_id != self.identity.bot_id:
                raise SlackError("cant_update_message")
            self.check_message(where, blocks, text, attachments)
            if text is not None:
                message.text = text
            if blocks is not None:
                message.blocks = fill_ids(blocks)
            if attachments is not None:
                message.attachments = copy.deepcopy(attachments)
            message.edited_ts = self.new_ts()
            return message

    def delete_message(self, channel_arg: str, ts: str) -> Message:
        with self.lock:
            message = self.find_message(channel_arg, ts)
            if message.bot_id != self.identity.bot_id:
                raise SlackError("cant_delete_message")
            message.deleted = True
            return message

    def messages(self, channel_id: str, *, include_deleted: bool = False) -> list[Message]:
        with self.lock:
            return [m for m in self._messages.get(channel_id, []) if include_deleted or not m.deleted]

    def post_ephemeral(
        self,
        channel_arg: str,
        user_id: str,
        *,
        text: str = "",
        blocks: list[JSON] | None = None,
        source: Literal["chat.postEphemeral", "ack", "response_url"] = "chat.postEphemeral",
        where: str = "chat.postEphemeral",
    ) -> Ephemeral:
        with self.lock:
            channel = self.resolve_target(channel_arg)
            self.user(user_id)
            if source == "chat.postEphemeral":
                if not channel.bot_is_member:
                    raise SlackError("not_in_channel")
                if user_id not in channel.members:
                    raise SlackError("user_not_in_channel")
            if not text and not blocks:
                raise SlackError("no_text")
            self.check_message(where, blocks, text)
            ephemeral = Ephemeral(
                id=random_id(10),
                channel=channel.id,
                user=user_id,
                ts=self.new_ts(),
                text=text,
                blocks=fill_ids(blocks or []),
                source=source,
            )
            self._ephemerals.append(ephemeral)
            return ephemeral

    def ephemerals(self, *, user: str | None = None, channel: str | None = None) -> list[Ephemeral]:
        with self.lock:
            return [
                e
                for e in self._ephemerals
                if not e.deleted
                and (user is None or e.user == user)
                and (channel is None or e.channel == channel)
            ]

    def ephemeral(self, ephemeral_id: str) -> Ephemeral:
        with self.lock:
            for item in self._ephemerals:
                if item.id == ephemeral_id:
                    return item
        raise LookupError(f"no ephemeral message {ephemeral_id}")

    # --- response_url ---------------------------------------------------------------------

    def new_response_target(
        self, user_id: str, channel_id: str, *, message_ts: str | None = None, ephemeral_id: str | None = None
    ) -> str:
        with self.lock:
            target = ResponseTarget(random_id(16), user_id, channel_id, self.now(), message_ts, ephemeral_id)
            self._responses[target.id] = target
            return target.id

    def respond(self, target_id: str, payload: Mapping[str, Any]) -> tuple[int, str]:
        """A POST to a response_url: (HTTP status, body) as Slack's hooks endpoint answers."""
        with self.lock:
            status, body = self._respond(target_id, payload)
            self.response_posts.append(ResponsePost(target_id, dict(payload), status, self.now()))
            return status, body

    def _respond(self, target_id: str, payload: Mapping[str, Any]) -> tuple[int, str]:
        target = self._responses.get(target_id)
        if target is None:
            self.add_problem(f"response_url: unknown response_url {target_id}")
            return 404, "invalid_token"
        if self.now() - target.created_at > RESPONSE_URL_TTL:
            self.add_problem(f"response_url: used after {RESPONSE_URL_TTL} (expired)")
            return 404, "expired_url"
        if target.uses >= RESPONSE_URL_USES:
            self.add_problem(f"response_url: used more than {RESPONSE_URL_USES} times")
            return 404, "used_url"
        target.uses += 1
        text, blocks = payload.get("text"), payload.get("blocks")
        try:
            if payload.get("delete_original"):
                self._delete_original(target)
            elif payload.get("replace_original"):
                self._replace_original(target, text, blocks)
            elif payload.get("response_type") == "in_channel":
                self.post_message(
                    target.channel_id,
                    text=text or "",
                    blocks=blocks,
                    thread_ts=payload.get("thread_ts"),
                    where="response_url",
                )
            else:
                self.post_ephemeral(
                    target.channel_id,
                    target.user_id,
                    text=text or "",
                    blocks=blocks,
                    source="response_url",
                    where="response_url",
                )
        except SlackError as error:
            return (400 if error.error != "message_not_found" else 404), error.error
        return 200, "ok"

    def _delete_original(self, target: ResponseTarget) -> None:
        if target.ephemeral_id is not None:
            self.ephemeral(target.ephemeral_id).deleted = True
        elif target.message_ts is not None:
            self.find_message(target.channel_id, target.message_ts).deleted = True
        else:
            self.add_problem("response_url: delete_original, but there is no original message")
            raise SlackError("message_not_found")

    def _replace_original(self, target: ResponseTarget, text: Any, blocks: Any) -> None:
        if text is None and blocks is None:
            raise SlackError("no_text")
        self.check_message("response_url", blocks, text)
        if target.ephemeral_id is not None:
            ephemeral = self.ephemeral(target.ephemeral_id)
            ephemeral.text, ephemeral.blocks = text or "", fill_ids(blocks or [])
        elif target.message_ts is not None:
            message = self.find_message(target.channel_id, target.message_ts)
            message.text, message.blocks = text or "", fill_ids(blocks or [])
            message.edited_ts = self.new_ts()
        else:
            self.add_problem("response_url: replace_original, but there is no original message")
            raise SlackError("message_not_found")

    # --- waiting --------------------------------------------------------------------------

    def snapshot(self, read: Callable[[], Any]) -> Any:
        """Run `read` under the lock and deep-copy what it returns (for readers in other threads)."""
        with self.lock:
            return copy.deepcopy(read())
