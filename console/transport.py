"""Delivering requests to the app's request URL the way Slack does: signed with the signing secret
(`v0=` HMAC-SHA256 over `v0:<timestamp>:<body>`), with Slack's headers, timed.

`SlackSender.send` also takes what tests need to probe the app's defences: a wrong signature, a
stale timestamp, and the retry headers Slack adds when it re-sends the same body.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from slack_sdk.signature import SignatureVerifier

from console.models import Ephemeral, Message

# "options": an options request (block_suggestion), sent to the Options Load URL — an interactivity
# payload in form of its own URL setting (settings.interactivity.message_menu_options_url).
RequestKind = Literal["command", "interactivity", "options", "event"]
_CONTENT_TYPES: dict[str, str] = {
    "command": "application/x-www-form-urlencoded",
    "interactivity": "application/x-www-form-urlencoded",
    "options": "application/x-www-form-urlencoded",
    "event": "application/json",
}


@dataclass(frozen=True)
class SentRequest:
    """A request body as Slack built it; re-sending it unchanged is what a Slack retry does."""

    kind: RequestKind
    body: bytes

    @property
    def content_type(self) -> str:
        return _CONTENT_TYPES[self.kind]


@dataclass(frozen=True)
class Delivery:
    """The app's answer to one request."""

    request: SentRequest
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    elapsed_ms: float = 0.0
    error: str | None = None  # set when no HTTP answer came at all (refused, timed out)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON, or None when it is empty or not JSON."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except json.JSONDecodeError:
            return None


class SlackSender:
    def __init__(self, signing_secret: str, *, events_url: str | None = None, timeout: float = 10.0) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self.events_url = events_url
        # Where options requests go when the app set its Options Load URL apart (else events_url).
        self.options_url: str | None = None
        self._client = httpx.Client(timeout=timeout, trust_env=False)

    def signature(self, body: bytes, timestamp: str) -> str:
        signature = self._verifier.generate_signature(timestamp=timestamp, body=body.decode("utf-8"))
        assert signature is not None
        return signature

    def send(
        self,
        request: SentRequest,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        url: str | None = None,
    ) -> Delivery:
        """POST the request, signed now (or at `timestamp`; a bad `signature` may be forced)."""
        target = url or (self.options_url if request.kind == "options" else None) or self.events_url
        if not target:
            raise RuntimeError("set events_url (the app's /slack/events address) before sending")
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        headers = {
            "Content-Type": request.content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature if signature is not None else self.signature(request.body, stamp),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        started = time.monotonic()
        try:
            response = self._client.post(target, content=request.body, headers=headers)
        except httpx.HTTPError as error:
            elapsed = (time.monotonic() - started) * 1000
            return Delivery(request, 0, b"", {}, elapsed, error=f"{type(error).__name__}: {error}")
        elapsed = (time.monotonic() - started) * 1000
        return Delivery(request, response.status_code, response.content, dict(response.headers), elapsed)

    def close(self) -> None:
        self._client.close()


@dataclass
class Outcome:
    """What came of one request: the app's HTTP answer, and what Slack showed because of it."""

    delivery: Delivery
    trigger_id: str | None = None
    ephemeral: Ephemeral | None = None  # a slash command's ack body, shown to the person only
    message: Message | None = None  # a slash command's ack body with response_type in_channel
    problems: list[str] = field(default_factory=list)

    @property
    def status(self) -> int:
        return self.delivery.status

    @property
    def elapsed_ms(self) -> float:
        return self.delivery.elapsed_ms

    @property
    def request(self) -> SentRequest:
        return self.delivery.request
