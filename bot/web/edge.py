"""What every HTTP request passes through before and after its endpoint: the body limit, the access
log and the request counter. Plain ASGI middleware, so that they see every response — a 413 sent
before the body is read, and a 500 from an endpoint that raised (Starlette's BaseHTTPMiddleware
never saw those: they were neither logged nor counted)."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.log_context import new_request_id, request_context
from bot.web.metrics import Metrics

access_log = logging.getLogger("deskops.access")
log = logging.getLogger(__name__)

# Slack's own payloads are a few kilobytes (a view_submission of a 100-block modal stays well
# under 100 KB); the activation form and the enrollment callback are smaller still. 256 KiB
# refuses nothing Slack or a person sends and caps what an outsider can make deskops hold.
MAX_BODY_BYTES = 256 * 1024
# Links carry secrets in their path; the access log shows only which kind of link it was.
_SECRET_PATHS = re.compile(r"^/(activate|enroll)/[^/]+")
UNKNOWN_ROUTE = "other"


MAX_LOGGED_PATH = 200


def loggable_path(path: str) -> str:
    """The path without link tokens, its control and non-ASCII characters escaped (a path is the
    sender's choice: no line breaks or terminal codes reach the log) and cut to a sane length."""
    shown = _SECRET_PATHS.sub(lambda m: f"/{m.group(1)}/…", path)
    escaped = "".join(c if c == "…" or 0x20 < ord(c) < 0x7F else ascii(c)[1:-1] for c in shown)
    return escaped if len(escaped) <= MAX_LOGGED_PATH else escaped[:MAX_LOGGED_PATH] + "…"


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Answers 413 to a body over `limit` bytes — from Content-Length before anything is read, or
    while counting what arrives (chunked or lying about its length) — so no endpoint ever holds
    more than `limit` bytes of one request in memory."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.limit:
            await self._too_large(scope, send, declared.isdigit())
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(scope, send, True)

    async def _too_large(self, scope: Scope, send: Send, numeric: bool) -> None:
        status, text = (
            (413, f"the request body is larger than {self.limit} bytes")
            if numeric
            else (400, "Content-Length is not a number")
        )
        scope.setdefault("state", {})["refusal"] = text
        body = json.dumps({"error": text}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        # The rest of the body is not read: the connection is closed after this answer.
        headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class AccessLog:
    """One line and one count per response, 5xx included. An endpoint that raised is answered
    here with a 500 quoting a reference, and its traceback logged once under that reference.

    The `route` label is the template of the route that matched (`/activate/{token}`), or `other`:
    labels come from a closed set, whatever paths outsiders try."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: Sequence[BaseRoute]) -> None:
        self.app, self.metrics, self.routes = app, metrics, routes

    def route_label(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                return str(getattr(route, "path", UNKNOWN_ROUTE)) or UNKNOWN_ROUTE
        return UNKNOWN_ROUTE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        with request_context(new_request_id(offered)):
            await self._answer(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 0

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as error:
            reference = uuid.uuid4().hex[:8]
            log.error(
                "unexpected error answering a request (reference %s)",
                reference,
                exc_info=error,
                extra={"error_reference": reference},
            )
            if status == 0:
                status = 500
                await _plain_500(send, reference)
            else:  # the answer had begun: nothing more can be said to the client
                status = status or 500
        finally:
            self._record(scope, status or 500, started)

    def _record(self, scope: Scope, status: int, started: float) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.metrics.http_requests.labels(route=self.route_label(scope), status=str(status)).inc()
        path = loggable_path(str(scope.get("path", "")))
        refusal = scope.get("state", {}).get("refusal")
        suffix = f" ({refusal})" if refusal else ""
        access_log.info("%s %s %s %.1fms%s", scope.get("method"), path, status, elapsed_ms, suffix)


async def _plain_500(send: Send, reference: str) -> None:
    body = json.dumps({"error": f"internal error (reference {reference})"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
