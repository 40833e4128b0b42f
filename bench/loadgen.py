"""Signed Slack requests fired concurrently at a request URL, each timed from the first byte
written to the last byte of the answer read.

A lean asyncio HTTP/1.1 client (one connection per request, as Slack makes them), so the load
generator spends microseconds per request and its own queueing does not blur the figures.
Requests are built and signed with the emulator's builders (console.payloads/transport).
"""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from dataclasses import dataclass

from bench.common import LOOPBACK
from console.models import JSON, AppIdentity, Channel, User
from console.payloads import event_body, form_body, interactivity_body, slash_command
from console.transport import SlackSender

IDENTITY = AppIdentity()
CHANNEL = Channel(id="C0BENCH1", name="helpdesk", bot_is_member=True)
REQUEST_TIMEOUT = 10.0


@dataclass(frozen=True)
class Answer:
    status: int
    milliseconds: float
    body: bytes
    sent_at: float = 0.0  # epoch seconds of the first byte written (for round trips timed elsewhere)


def _signed(port: int, sender: SlackSender, body: bytes, content_type: str) -> bytes:
    stamp = str(int(time.time()))
    head = (
        "POST /slack/events HTTP/1.1\r\n"
        f"Host: {LOOPBACK}:{port}\r\n"
        "User-Agent: Slackbot 1.0 (+https://api.slack.com/robots)\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Slack-Request-Timestamp: {stamp}\r\n"
        f"X-Slack-Signature: {sender.signature(body, stamp)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def signed_interaction(sender: SlackSender, *, port: int, payload: JSON) -> bytes:
    """The raw HTTP request for an interactivity payload (block_actions, view_submission)."""
    return _signed(port, sender, interactivity_body(payload), "application/x-www-form-urlencoded")


def signed_event(sender: SlackSender, *, port: int, envelope: JSON) -> bytes:
    """The raw HTTP request for an Events API envelope."""
    return _signed(port, sender, event_body(envelope), "application/json")


def trigger_id() -> str:
    return f"{int(time.time())}.{uuid.uuid4().hex}"


def signed_slash_command(
    sender: SlackSender, *, port: int, user_id: str, command: str, text: str, response_url: str
) -> bytes:
    """The raw HTTP request for one slash command, with a trigger_id of its own."""
    fields = slash_command(
        IDENTITY,
        user=User(id=user_id, name=user_id.lower()),
        channel=CHANNEL,
        command=command,
        text=text,
        response_url=response_url,
        trigger_id=trigger_id(),
    )
    return _signed(port, sender, form_body(fields), "application/x-www-form-urlencoded")


async def _exchange(port: int, request: bytes) -> Answer:
    sent_at = time.time()
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    try:
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        length = 0
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        body = await reader.readexactly(length) if length else b""
    finally:
        writer.close()
    elapsed = (time.perf_counter() - started) * 1000
    parts = status_line.split()
    return Answer(int(parts[1]) if len(parts) > 1 else 0, elapsed, body, sent_at)


async def _burst(port: int, requests: list[bytes]) -> list[Answer]:
    async def one(request: bytes) -> Answer:
        try:
            return await asyncio.wait_for(_exchange(port, request), REQUEST_TIMEOUT)
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
            return Answer(0, REQUEST_TIMEOUT * 1000, type(error).__name__.encode())

    return list(await asyncio.gather(*(one(request) for request in requests)))


def burst(port: int, requests: list[bytes]) -> list[Answer]:
    """Send all `requests` at once; their answers in the same order.

    The load generator's own garbage collector is off while they are out: this process holds the
    modules of bot and console, and a full collection of them (60 ms here) falling inside a burst
    was timed as that much more latency of the server measured."""
    gc.collect()
    gc.disable()
    try:
        return asyncio.run(_burst(port, requests))
    finally:
        gc.enable()


def send(port: int, request: bytes) -> Answer:
    """Send one request and read its answer."""
    return burst(port, [request])[0]
