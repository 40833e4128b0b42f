"""Socket Mode: how Slack talks to an app that has an app-level token (`xapp-…`) and no public URL.

1. The app calls `apps.connections.open` with the app-level token (a bot token gets
   `not_allowed_token_type`, an unknown token `invalid_auth`) and gets a one-time WebSocket URL,
   `ws://<emulator>/link/?ticket=…&app_id=…` (Slack's is `wss://wss-primary.slack.com/link/?…`).
2. The app connects; Slack sends `{"type": "hello", "num_connections", "connection_info",
   "debug_info"}`. A used or unknown ticket is refused at the handshake.
3. Every payload that would have gone to the request URL arrives as an envelope
   `{"envelope_id", "type", "payload", "accepts_response_payload"}` — `slash_commands` (the
   command's fields as a JSON object), `interactive` (the `payload` object) or `events_api` (the
   `event_callback` body, with `retry_attempt`/`retry_reason`) — and the app acks over the socket
   with `{"envelope_id": …}`, plus `"payload": {…}` where an HTTP app would have answered with a
   body (an ephemeral text, `response_action`). No signature: the socket is authenticated.

`SocketMode.deliver` turns such an ack into the same `Delivery` an HTTP answer gives, so the
driver (`Person.slash`, clicks, submissions) works unchanged over either transport; `push` and
`acks` let a test drive the socket by hand.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from console.models import JSON
from console.transport import Delivery, RequestKind, SentRequest
from console.workspace import Workspace

LINK_ROUTE = "socket_mode_link"
_ENVELOPE_TYPES: dict[RequestKind, str] = {
    "command": "slash_commands",
    "interactivity": "interactive",
    "options": "interactive",
    "event": "events_api",
}
# Interactive payloads whose ack may carry an answer (response_action, options).
_ANSWERABLE_INTERACTIONS = ("view_submission", "block_suggestion")
_SEND_TIMEOUT = 5.0


@dataclass(frozen=True)
class Ack:
    """The app's acknowledgement of one envelope."""

    envelope_id: str
    payload: JSON | None
    elapsed_ms: float


@dataclass
class _Connection:
    websocket: WebSocket
    loop: asyncio.AbstractEventLoop


class SocketMode:
    def __init__(self, workspace: Workspace, *, app_token: str) -> None:
        self.workspace = workspace
        self.app_token = app_token
        self._tickets: set[str] = set()
        self._connections: list[_Connection] = []
        self._sent_at: dict[str, float] = {}
        self._acks: dict[str, Ack] = {}
        self._received: list[JSON] = []
        self._hellos = 0
        self._changed = threading.Condition()
        self.routes = [WebSocketRoute("/link/", self._link, name=LINK_ROUTE)]

    # --- apps.connections.open and the WebSocket ------------------------------------------

    def open_url(self, request: Request) -> str:
        """A new one-time WebSocket URL on the server that answered `request`."""
        ticket = uuid.uuid4().hex
        with self._changed:
            self._tickets.add(ticket)
        link = str(request.url_for(LINK_ROUTE))
        scheme, rest = link.split("://", 1)
        query = urlencode({"ticket": ticket, "app_id": self.workspace.identity.app_id})
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}?{query}"

    async def _link(self, websocket: WebSocket) -> None:
        ticket = websocket.query_params.get("ticket", "")
        with self._changed:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)
        if not valid:
            await websocket.close(code=1008)  # before accept: the handshake is refused (HTTP 403)
            return
        await websocket.accept()
        connection = _Connection(websocket, asyncio.get_running_loop())
        with self._changed:
            self._connections.append(connection)
            count = len(self._connections)
        await websocket.send_text(json.dumps(self._hello(count)))
        with self._changed:
            self._hellos += 1
            self._changed.notify_all()
        try:
            while True:
                self._received_text(await websocket.receive_text())
        except WebSocketDisconnect:
            pass
        finally:
            with self._changed:
                self._connections.remove(connection)
                self._changed.notify_all()

    def _hello(self, count: int) -> JSON:
        return {
            "type": "hello",
            "num_connections": count,
            "debug_info": {
                "host": "applink-deskops-emulator",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.workspace.identity.app_id},
        }

    def _received_text(self, text: str) -> None:
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            self.workspace.add_problem(
                f"Socket Mode: the app sent a message that is not JSON: {text[:200]!r}"
            )
            return
        if not isinstance(message, dict) or not isinstance(message.get("envelope_id"), str):
            self.workspace.add_problem(
                f"Socket Mode: the app sent something that is not an ack: {text[:200]!r}"
            )
            return
        envelope_id = message["envelope_id"]
        payload = message.get("payload")
        with self._changed:
            self._received.append(message)
            sent_at = self._sent_at.get(envelope_id)
            if sent_at is None or envelope_id in self._acks:
                problem = "an envelope Slack never sent" if sent_at is None else "an envelope already acked"
                self.workspace.add_problem(f"Socket Mode: the app acked {problem} ({envelope_id})")
                return
            self._acks[envelope_id] = Ack(
                envelope_id,
                payload if isinstance(payload, dict) else None,
                (time.monotonic() - sent_at) * 1000,
            )
            self._changed.notify_all()

    # --- state ----------------------------------------------------------------------------

    @property
    def connections(self) -> int:
        with self._changed:
            return len(self._connections)

    @property
    def hellos(self) -> int:
        """How many `hello`s were sent: one per connection the app opened."""
        with self._changed:
            return self._hellos

    def received(self) -> list[JSON]:
        """Every message the app sent over its sockets, in order."""
        with self._changed:
            return list(self._received)

    def acks(self) -> list[Ack]:
        """The app's acks so far, in the order they arrived."""
        with self._changed:
            return list(self._acks.values())

    def wait_connected(self, timeout: float = 10.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: bool(self._connections), timeout):
                raise TimeoutError(f"the app opened no Socket Mode connection in {timeout:g} s")

    # --- sending envelopes ----------------------------------------------------------------

    def push(
        self,
        envelope_type: str,
        payload: JSON,
        *,
        accepts_response_payload: bool,
        extra: JSON | None = None,
    ) -> str:
        """Send one envelope over the newest connection; returns its envelope_id."""
        envelope_id = str(uuid.uuid4())
        envelope: JSON = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": accepts_response_payload,
            **(extra or {}),
        }
        with self._changed:
            if not self._connections:
                raise ConnectionError("the app has no open Socket Mode connection")
            connection = self._connections[-1]
            self._sent_at[envelope_id] = time.monotonic()
        sending = asyncio.run_coroutine_threadsafe(
            connection.websocket.send_text(json.dumps(envelope)), connection.loop
        )
        sending.result(timeout=_SEND_TIMEOUT)
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float) -> Ack | None:
        with self._changed:
            self._changed.wait_for(lambda: envelope_id in self._acks, timeout)
            return self._acks.get(envelope_id)

    def deliver(self, kind: RequestKind, body: bytes, *, timeout: float) -> Delivery:
        """What `SlackSender.send` does over HTTP, over the socket: the request body becomes an
        envelope, and the ack (or its absence after `timeout`) becomes the Delivery."""
        request = SentRequest(kind, body)
        payload = envelope_payload(kind, body)
        extra: JSON = {"retry_attempt": 0, "retry_reason": ""} if kind == "event" else {}
        accepts = kind == "command" or (
            kind in ("interactivity", "options") and payload.get("type") in _ANSWERABLE_INTERACTIONS
        )
        started = time.monotonic()
        try:
            envelope_id = self.push(
                _ENVELOPE_TYPES[kind], payload, accepts_response_payload=accepts, extra=extra
            )
        except (ConnectionError, TimeoutError, RuntimeError) as error:
            elapsed = (time.monotonic() - started) * 1000
            return Delivery(request, 0, b"", {}, elapsed, error=f"Socket Mode: {error}")
        ack = self.wait_for_ack(envelope_id, timeout)
        if ack is None:
            elapsed = (time.monotonic() - started) * 1000
            return Delivery(request, 0, b"", {}, elapsed, error=f"Socket Mode: no ack in {timeout:g} s")
        answer = json.dumps(ack.payload).encode("utf-8") if ack.payload else b""
        headers = {"content-type": "application/json"} if answer else {}
        return Delivery(request, 200, answer, headers, ack.elapsed_ms)


def envelope_payload(kind: RequestKind, body: bytes) -> JSON:
    """The envelope's `payload` for a request body as the HTTP transport would send it."""
    text = body.decode("utf-8")
    if kind == "command":
        return dict(parse_qsl(text, keep_blank_values=True))
    if kind in ("interactivity", "options"):
        form = dict(parse_qsl(text, keep_blank_values=True))
        parsed: Any = json.loads(form.get("payload", "{}"))
    else:
        parsed = json.loads(text)
    if not isinstance(parsed, dict):
        raise ValueError(f"a {kind} body is not a JSON object")
    return parsed
