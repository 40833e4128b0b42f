"""Reading a request to /slack/events before Bolt dispatches it, for what Bolt cannot read safely.

Bolt parses the body (JSON, or the `payload` form field) when the request object is built, before
it checks the signature, and its check calls `int()` on the X-Slack-Request-Timestamp header.
A body that is not a JSON object, or a timestamp that is not a number, made any request a 500 —
signed or not — and the app's error handler then posted "Something went wrong" to the
`response_url` named in the unsigned body. Payloads of the wrong shape (no actions, a view that
is not an object…) made Bolt raise even in its error handler, so they are refused here too. Such a
request gets 401 unless it is correctly signed (then 400: it comes from someone holding the signing
secret, but it is not what Slack sends).

The signature is checked here first, on the bytes as they arrived, before anything reads the body:
Bolt's own check compares `str`s and raised `TypeError` on a non-ASCII signature, whose 500 then
ran the error handler on the unverified body (a POST to the `response_url` it named, Web API
calls with the bot token). Nothing of a request that fails this check reaches Bolt.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any

from slack_bolt import BoltRequest
from slack_bolt.adapter.starlette.handler import to_bolt_request
from slack_bolt.request.payload_utils import (
    to_action,
    to_command,
    to_event,
    to_message,
    to_options,
    to_shortcut,
    to_step,
    to_view,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

MAX_TIMESTAMP_DIGITS = 12  # seconds since 1970 need 10 digits until the year 2286
STALE_SECONDS = 5 * 60  # as Bolt's own check
EXTRACTORS = (to_options, to_shortcut, to_action, to_view, to_command, to_event, to_message, to_step)
IDENTIFIERS = ("type", "action_id", "callback_id", "block_id", "trigger_id", "response_url", "command")
OBJECTS = ("view", "user", "team", "channel", "container", "message", "event", "state")
INTERACTIVE = ("block_actions", "view_submission", "view_closed", "shortcut", "message_action")


def shape_problem(body: dict[str, Any]) -> str | None:
    """What Bolt (which indexes into these before any listener runs) or a listener cannot take."""
    kind = body.get("type")
    wrong = [key for key in IDENTIFIERS if key in body and not isinstance(body[key], str)]
    wrong += [key for key in OBJECTS if key in body and not isinstance(body[key], dict)]
    if wrong:
        return f"{', '.join(wrong)} is not what Slack sends there"
    if kind in INTERACTIVE and not isinstance(body.get("user"), dict):
        return f"a {kind} payload names no user"
    if kind in INTERACTIVE and not isinstance(body["user"].get("id"), str):
        return f"a {kind} payload names no user"
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions or not all(_action(a) for a in actions):
            return "a block_actions payload needs a list of actions, each with an action_id"
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
            return f"a {kind} payload needs a view with a callback_id"
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "an event_callback payload needs an event with a type"
    try:  # what Bolt extracts from every payload before it runs a listener or an error handler
        for extract in EXTRACTORS:
            extract(body)
    except (KeyError, IndexError, TypeError, AttributeError) as error:
        return f"the payload does not have the shape Slack sends ({type(error).__name__}: {error})"
    return None


def _action(action: Any) -> bool:
    return isinstance(action, dict) and isinstance(action.get("action_id"), str)


def _seconds(timestamp: str) -> bool:
    return timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS


class SlackRequestReader:
    def __init__(self, signing_secret: str) -> None:
        self._secret = signing_secret.encode("utf-8")

    def read(self, request: Request, body: bytes) -> BoltRequest | Response:
        """The request for Bolt to dispatch, or the answer to give instead: 401 for anything not
        signed by Slack, whatever its bytes, with the reason left for the access log."""
        refusal = self.refusal(request.headers, body)
        if refusal is not None:
            request.state.refusal = refusal
            return self._refused()
        try:
            bolt_request = to_bolt_request(request, body)
        except Exception:  # not UTF-8, not JSON, not an object: nothing Slack sends
            bolt_request = None
        problem = (
            "the body is not a Slack payload: a form, or a JSON object in `payload` or the body"
            if bolt_request is None or not isinstance(bolt_request.body, dict)
            else shape_problem(bolt_request.body)
        )
        if problem is None and bolt_request is not None:
            return bolt_request
        return JSONResponse({"error": problem}, status_code=400)

    def refusal(self, headers: Mapping[str, str], body: bytes) -> str | None:
        """Why the request is not Slack's (None when it is). Starlette decodes header bytes as
        Latin-1, so encoding back gives the bytes that arrived; the comparison is of bytes, which
        `hmac.compare_digest` takes whatever they hold."""
        timestamp, signature = headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
        if timestamp is None or signature is None:
            return "unsigned: no Slack signature headers"
        if not _seconds(timestamp):
            return "unsigned: the timestamp is not a number of seconds"
        if abs(time.time() - int(timestamp)) > STALE_SECONDS:
            return "unsigned: the timestamp is more than 5 minutes away"
        base = b"v0:" + timestamp.encode("ascii") + b":" + body
        expected = b"v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest().encode("ascii")
        if not hmac.compare_digest(expected, signature.encode("latin-1")):
            return "unsigned: the signature does not match"
        return None

    @staticmethod
    def _refused() -> Response:
        return JSONResponse({"error": "invalid request"}, status_code=401)  # as Bolt answers
