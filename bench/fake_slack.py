"""A minimal fake Slack Web API, run in its own process (`python -m bench.fake_slack PORT`) so
that serving it never competes for the GIL of the app under test.

Every method answers `ok`; the few the bench path calls answer in Slack's shape. `GET /_stats`
returns how often each method was called (the bench waits for the listeners' follow-up calls
before the next round), `GET /_last` when each was last called, `POST /_reset` clears the counts.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import uvicorn

HELPDESK_GROUP = "S0BENCH1"
BOT_USER = "U0BOTBOT"
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def helpdesk_users(count: int = 60) -> list[str]:
    """The people the bench sends requests as (members of HELPDESK_GROUP)."""
    return [f"U0BENCH{index:02d}" for index in range(count)]


PAUSED_CARD = "Sending paused"
PAUSED_CARD_COUNT = "cards_showing_a_pause"


class FakeSlack:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.last_call: dict[str, float] = {}
        self.sequence = 0

    def answer(self, method: str, params: dict[str, str]) -> dict[str, Any]:
        self.calls[method] += 1
        self.last_call[method] = time.time()
        self.sequence += 1
        if method == "auth.test":
            return {"ok": True, "team": "Bench", "team_id": "T0BENCH", "user": "deskops", "user_id": BOT_USER}
        if method == "usergroups.users.list":
            return {"ok": True, "users": helpdesk_users()}
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            return {"ok": True, "view": {"id": f"V{self.sequence:08d}", "hash": f"h{self.sequence}"}}
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            if PAUSED_CARD in params.get("text", ""):
                self.calls[PAUSED_CARD_COUNT] += 1  # the relay bench: a card that says sending paused
            ts = f"{time.time():.6f}"
            return {"ok": True, "channel": params.get("channel", "C0BENCH1"), "ts": ts, "message_ts": ts}
        return {"ok": True}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = str(scope["path"]).strip("/")
        if path == "_stats":
            await _reply(send, dict(self.calls))
            return
        if path == "_last":  # when each method was last called (seconds since the epoch)
            await _reply(send, self.last_call)
            return
        if path == "_reset":
            self.calls.clear()
            await _reply(send, {"ok": True})
            return
        method = path.removeprefix("api/")
        await _reply(send, self.answer(method, _params(scope, body)))


def _params(scope: Scope, body: bytes) -> dict[str, str]:
    content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
    if content_type.startswith(b"application/json"):
        try:
            loaded = json.loads(body or b"{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


async def _reply(send: Send, payload: dict[str, Any]) -> None:
    data = json.dumps(payload).encode()
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(data)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def main(argv: list[str]) -> int:
    port = int(argv[0])
    uvicorn.run(
        FakeSlack(), host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
