"""Reading a request to /slack/events before Bolt dispatches it, for what Bolt cannot read safely.

Bolt parses the body (JSON, or the `payload` form field) when the request object is built, before
it checks the signature, and its check calls `int()` on the X-Slack-Request-Timestamp header.
A body that is not a JSON object, or a timestamp that is not a number, made any request a 500 —
signed or not — and the app's error handler then posted "Something went wrong" to the
`response_url` named in the unsigned body. Here such a request gets 401 unless it is correctly
signed (then 400: it comes from someone holding the signing secret, but it is not a Slack payload).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from slack_bolt import BoltRequest
from slack_bolt.adapter.starlette.handler import to_bolt_request
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

MAX_TIMESTAMP_DIGITS = 12  # seconds since 1970 need 10 digits until the year 2286
STALE_SECONDS = 5 * 60  # as Bolt's own check


def _seconds(timestamp: str) -> bool:
    return timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS


class SlackRequestReader:
    def __init__(self, signing_secret: str) -> None:
        self._secret = signing_secret.encode("utf-8")

    def read(self, request: Request, body: bytes) -> BoltRequest | Response:
        """The request for Bolt to verify and dispatch, or the answer to give instead."""
        timestamp = request.headers.get("x-slack-request-timestamp")
        if timestamp is not None and not _seconds(timestamp):
            return self._refused()
        try:
            bolt_request = to_bolt_request(request, body)
        except Exception:  # not UTF-8, not JSON, not an object: nothing Slack sends
            bolt_request = None
        if bolt_request is not None and isinstance(bolt_request.body, dict):
            return bolt_request
        if not self.signed(request.headers, body):
            return self._refused()
        return JSONResponse(
            {"error": "the body is not a Slack payload: a form, or a JSON object in `payload` or the body"},
            status_code=400,
        )

    def signed(self, headers: Mapping[str, str], body: bytes) -> bool:
        timestamp, signature = headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
        if timestamp is None or signature is None or not _seconds(timestamp):
            return False
        if abs(time.time() - int(timestamp)) > STALE_SECONDS:
            return False
        base = b"v0:" + timestamp.encode("ascii") + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature)

    @staticmethod
    def _refused() -> Response:
        return JSONResponse({"error": "invalid request"}, status_code=401)  # as Bolt answers
