"""`SlackEmulator`: the local Slack — workspace state, Web API server and person driver in one.

emu = SlackEmulator(signing_secret="s3cret", limits_path=BLOCKKIT_LIMITS, bot_token="xoxb-test")
emu.start()                                   # Web API on 127.0.0.1:<free port>; emu.api_url
emu.events_url = "http://127.0.0.1:4567/slack/events"
emu.add_user("U0HELP01", name="helen", email="helen@msp.example")
emu.add_channel("C0HELP01", name="helpdesk", members=["U0HELP01"])
helen = emu.person("U0HELP01")
helen.slash("/backup", "add Acme", channel="C0HELP01")
modal = helen.wait_for_view()
...
assert emu.problems == []
emu.stop()

With `app_token="xapp-…"` the app has Socket Mode switched on, as in its Slack configuration:
`apps.connections.open` answers a WebSocket URL (`emu.socket_mode`), and everything a person does
reaches the app as envelopes over that socket instead of POSTs to `events_url`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from slack_sdk import WebClient

from console.appconfig import AppConfig
from console.blockkit import BlockKitLimits
from console.clock import Clock, OffsetClock
from console.driver import Driver, Person
from console.models import JSON, AppIdentity, Channel, Ephemeral, Message, ResponsePost, User, Usergroup
from console.server import BackgroundServer
from console.socketmode import SocketMode
from console.transport import Delivery, SentRequest, SlackSender
from console.webapi import ApiCall, WebApi
from console.workspace import Workspace


class ChannelView:
    """Read access to one channel's messages (snapshots: read again to see later changes)."""

    def __init__(self, emulator: SlackEmulator, channel_id: str) -> None:
        self._emu = emulator
        self.id = channel_id

    def messages(self, *, include_replies: bool = True) -> list[Message]:
        found = self._emu.workspace.snapshot(lambda: self._emu.workspace.messages(self.id))
        return [m for m in found if include_replies or m.thread_ts in (None, m.ts)]

    def last_message(self, *, thread_ts: str | None = None) -> Message:
        """The newest top-level message, or the newest reply in `thread_ts`."""
        if thread_ts is None:
            found = self.messages(include_replies=False)
        else:
            found = [m for m in self.messages() if m.thread_ts == thread_ts and m.ts != thread_ts]
        if not found:
            raise LookupError(f"no message in {self.id}" + (f" thread {thread_ts}" if thread_ts else ""))
        return found[-1]

    def wait_for_message(
        self, predicate: Callable[[Message], bool] | None = None, *, timeout: float = 5.0
    ) -> Message:
        """The newest message (including replies) matching `predicate`, once there is one."""

        def find() -> Message | None:
            matching = [m for m in self.messages() if predicate is None or predicate(m)]
            return matching[-1] if matching else None

        found: Message = self._emu.wait_until(find, timeout=timeout, message=f"no such message in {self.id}")
        return found


class SlackEmulator:
    def __init__(
        self,
        *,
        signing_secret: str,
        limits_path: str | Path | None = None,
        bot_token: str,
        identity: AppIdentity | None = None,
        clock: Clock | None = None,
        request_timeout: float = 10.0,
        limits: BlockKitLimits | None = None,
        app_token: str | None = None,
    ) -> None:
        if limits is None:
            if limits_path is None:
                raise TypeError("give limits_path (the Block Kit limits file) or limits")
            limits = BlockKitLimits.load(limits_path)
        self.clock: Clock = clock or OffsetClock()
        self.workspace = Workspace(limits, identity=identity, clock=self.clock)
        self.bot_token = bot_token
        self.signing_secret = signing_secret
        self.socket_mode = SocketMode(self.workspace, app_token=app_token) if app_token is not None else None
        self.webapi = WebApi(self.workspace, bot_token=bot_token, socket_mode=self.socket_mode)
        self.server = BackgroundServer(self.webapi.app)
        self.sender = SlackSender(signing_secret, timeout=request_timeout)
        self.request_timeout = request_timeout
        self.driver: Driver | None = None
        self._mounted_at: str | None = None
        self.app_config = AppConfig()

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> SlackEmulator:
        self.server.start()
        self.workspace.files.base_url = self.server.base_url
        self.driver = Driver(
            self.workspace,
            self.sender,
            response_url_base=self.server.base_url,
            socket_mode=self.socket_mode,
            timeout=self.request_timeout,
            app=self.app_config,
        )
        return self

    def mount(self, base_url: str) -> SlackEmulator:
        """Instead of `start()`: another server serves `self.webapi.app` at `base_url` (the
        console mounts it under /console/slack); api_url and response_urls point there."""
        if self.driver is not None:
            raise RuntimeError("the emulator is already started")
        self._mounted_at = base_url.rstrip("/")
        self.workspace.files.base_url = self._mounted_at
        self.driver = Driver(
            self.workspace,
            self.sender,
            response_url_base=self._mounted_at,
            socket_mode=self.socket_mode,
            timeout=self.request_timeout,
            app=self.app_config,
        )
        return self

    def load_manifest(self, path: str | Path) -> AppConfig:
        """Configure the app as its manifest does: its global shortcuts and Options Load URL."""
        return self.configure_app(AppConfig.from_manifest(path))

    def configure_app(self, config: AppConfig) -> AppConfig:
        self.app_config = config
        if self.driver is not None:
            self.driver.app = config
        return config

    def stop(self) -> None:
        self.server.stop()
        self.sender.close()

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        """What the bot's SLACK_API_URL must be (slack_sdk appends the method name)."""
        return f"{self._mounted_at or self.server.base_url}/api/"

    @property
    def events_url(self) -> str | None:
        return self.sender.events_url

    @events_url.setter
    def events_url(self, url: str | None) -> None:
        self.sender.events_url = url

    @property
    def options_url(self) -> str | None:
        """The app's Options Load URL, when not its events_url."""
        return self.sender.options_url

    @options_url.setter
    def options_url(self, url: str | None) -> None:
        self.sender.options_url = url

    @property
    def app_token(self) -> str | None:
        """The app-level token (`xapp-…`) when Socket Mode is on."""
        return self.socket_mode.app_token if self.socket_mode is not None else None

    @property
    def identity(self) -> AppIdentity:
        return self.workspace.identity

    def client(self, **kwargs: Any) -> WebClient:
        """A slack_sdk client of this Web API with the bot token."""
        return WebClient(token=self.bot_token, base_url=self.api_url, **kwargs)

    # --- the workspace --------------------------------------------------------------------

    def add_user(self, user_id: str, *, name: str, **details: Any) -> User:
        return self.workspace.add_user(user_id, name=name, **details)

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str,
        members: list[str] | None = None,
        bot_is_member: bool = True,
        is_private: bool = False,
    ) -> Channel:
        return self.workspace.add_channel(
            channel_id, name=name, members=members, bot_is_member=bot_is_member, is_private=is_private
        )

    def add_usergroup(self, group_id: str, *, handle: str, users: list[str], name: str = "") -> Usergroup:
        return self.workspace.add_usergroup(group_id, handle=handle, users=users, name=name)

    def person(self, user_id: str) -> Person:
        if self.driver is None:
            raise RuntimeError("start() the emulator first")
        return self.driver.person(user_id)

    def channel(self, channel_id: str) -> ChannelView:
        if channel_id not in self.workspace.channels:
            raise LookupError(f"no channel {channel_id}")
        return ChannelView(self, channel_id)

    def dm_channel(self, user_id: str) -> ChannelView:
        """The bot's direct-message channel with a person (where chat.postMessage to a user id goes)."""
        return ChannelView(self, self.workspace.im_channel(user_id).id)

    def home_view(self, user_id: str) -> JSON | None:
        return self.workspace.views.home(user_id)

    def modal_stack(self, user_id: str) -> list[JSON]:
        return self.workspace.views.stack(user_id)

    def ephemerals(self, *, user: str | None = None, channel: str | None = None) -> list[Ephemeral]:
        return list(self.workspace.snapshot(lambda: self.workspace.ephemerals(user=user, channel=channel)))

    def response_posts(self) -> list[ResponsePost]:
        return list(self.workspace.snapshot(lambda: self.workspace.response_posts))

    # --- Web API --------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[ApiCall]:
        return self.webapi.calls(method)

    def fail_next(
        self,
        method: str,
        *,
        http_status: int | None = None,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        self.webapi.fail_next(
            method, http_status=http_status, error=error, retry_after=retry_after, times=times
        )

    # --- checks, time, raw requests -------------------------------------------------------

    @property
    def problems(self) -> list[str]:
        """What Slack would have refused or shown as an error; tests assert this stays empty."""
        return self.workspace.problems

    def take_problems(self) -> list[str]:
        """The problems recorded so far, clearing them (for tests that provoke one on purpose)."""
        return self.workspace.take_problems()

    def wait_until(
        self, predicate: Callable[[], Any], *, timeout: float = 5.0, message: str = "condition"
    ) -> Any:
        if self.driver is None:
            raise RuntimeError("start() the emulator first")
        return self.driver.wait_until(predicate, timeout=timeout, message=message)

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (trigger_id and response_url expiry)."""
        advance = getattr(self.clock, "advance", None)
        if advance is None:
            raise TypeError("this emulator's clock cannot be moved")
        advance(timedelta(seconds=seconds))

    def send_raw(
        self,
        request: SentRequest,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> Delivery:
        """Send a request body as is: re-send one (a Slack retry: same body, same trigger_id, with
        `retry_num`/`retry_reason`), or probe with a wrong `signature` or a stale `timestamp`.
        Nothing is recorded as a problem and nothing in the workspace changes."""
        return self.sender.send(
            request, timestamp=timestamp, signature=signature, retry_num=retry_num, retry_reason=retry_reason
        )

    def snapshot(self) -> JSON:
        """Channels, messages and open views, e.g. for a failing test's report."""
        ws = self.workspace

        def read() -> JSON:
            return {
                "channels": {cid: [m.to_slack(ws.identity) for m in ws.messages(cid)] for cid in ws.channels},
                "ephemerals": [e.__dict__ for e in ws.ephemerals()],
                "modals": {uid: ws.views.stack(uid) for uid in ws.users},
            }

        return copy.deepcopy(ws.snapshot(read))
