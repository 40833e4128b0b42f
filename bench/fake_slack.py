"""A minimal fake Slack Web API, run in its own process (`python -m bench.fake_slack PORT`) so
that serving it never competes for the GIL of the app under test.

Every method answers `ok`; the few the bench path calls answer in Slack's shape. `GET /_stats`
returns how often each method was called (the bench waits for the listeners' follow-up calls
before the next round), `GET /_last` when each was last called, `POST /_reset` clears the counts.
Round trips are timed at this end: `GET /_wait?method=M&count=N` answers once M has been called N
times, with the time the N-th call arrived (epoch seconds, the same clock as the sender's), and
`GET /_params?method=M` gives the arguments of M's last call (a view as the bot sent it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlencode

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
        self.arrivals: dict[str, list[float]] = {}
        self.last_params: dict[str, dict[str, Any]] = {}
        self.sequence = 0

    def answer(self, method: str, params: dict[str, Any], arrived: float) -> dict[str, Any]:
        self.calls[method] += 1
        self.last_call[method] = arrived
        self.arrivals.setdefault(method, []).append(arrived)
        self.last_params[method] = params
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

    async def wait(self, method: str, count: int, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        arrivals = self.arrivals.setdefault(method, [])
        while len(arrivals) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        reached = 0 < count <= len(arrivals)
        return {"count": len(arrivals), "at": arrivals[count - 1] if reached else None}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        # The call has reached Slack once its whole request has.
        arrived = time.time()
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
        query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        if path == "_wait":
            count, timeout = int(query["count"]), float(query.get("timeout", "30"))
            await _reply(send, await self.wait(query["method"], count, timeout))
            return
        if path == "_params":
            await _reply(send, self.last_params.get(query["method"], {}))
            return
        method = path.removeprefix("api/")
        await _reply(send, self.answer(method, _params(scope, body), arrived))


class FakeSlackClient:
    """The bench's side of a running fake: counts, round-trip arrivals, the last arguments."""

    def __init__(self, port: int) -> None:
        self.port = port

    def _get(self, path: str, timeout: float = 10.0) -> Any:
        url = f"http://127.0.0.1:{self.port}/{path}"
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return json.loads(answer.read())

    def calls(self, method: str) -> int:
        return int(self._get("_stats").get(method, 0))

    def arrival(self, method: str, count: int, timeout: float = 30.0) -> float:
        """When the `count`-th call of `method` arrived (epoch seconds); waits for it."""
        query = urlencode({"method": method, "count": count, "timeout": timeout})
        found = self._get(f"_wait?{query}", timeout=timeout + 5)
        if found["at"] is None:
            raise TimeoutError(f"{method} was called {found['count']} times, not {count}, in {timeout:g}s")
        return float(found["at"])

    def params(self, method: str) -> dict[str, Any]:
        return dict(self._get(f"_params?{urlencode({'method': method})}"))


def _params(scope: Scope, body: bytes) -> dict[str, Any]:
    """The call's arguments; JSON-encoded fields of a form (a view) decoded."""
    content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
    if content_type.startswith(b"application/json"):
        try:
            loaded = json.loads(body or b"{}")
        except ValueError:
            return {}
        return {str(k): v for k, v in loaded.items()} if isinstance(loaded, dict) else {}
    fields: dict[str, Any] = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    for key in ("view", "blocks"):
        if isinstance(fields.get(key), str):
            with contextlib.suppress(ValueError):
                fields[key] = json.loads(fields[key])
    return fields


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
