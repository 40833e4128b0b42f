"""A relay that limits its senders, in its own process: aiosmtpd enforcing `tests.support.
relay_rules.RelayRules` (a rate over a sliding window, connections at once, a daily cap; answered
as Exchange Online answers), counting each Message-ID it accepts so that a repeat shows.

    python -m bench.relay_sink PORT RATE_PER_MINUTE WINDOW_SECONDS MAX_CONNECTIONS
        stdin, one command a line:
        stats -> JSON: accepted, distinct, first, last (epoch s), throttled, refused_connections,
                 quota_replies, most_connections
        reset -> "ok"
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections import Counter
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from bench.common import LOOPBACK
from tests.support.relay_rules import RelayRules

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class LimitedHandler:
    def __init__(self, rules: RelayRules) -> None:
        self.rules = rules
        self.lock = threading.Lock()
        self.ids: Counter[bytes] = Counter()
        self.first = 0.0
        self.last = 0.0

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        refused = self.rules.on_mail(server)
        if refused is not None:
            return refused
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.time()
        found = MESSAGE_ID.search(envelope.original_content or envelope.content or b"")
        with self.lock:
            self.ids[found.group(1) if found else b"?"] += 1
            self.first = self.first or now
            self.last = now
        return "250 2.0.0 Message accepted for delivery"

    def stats(self) -> dict[str, Any]:
        with self.lock:
            rules = self.rules
            return {
                "accepted": sum(self.ids.values()),
                "distinct": len(self.ids),
                "first": self.first,
                "last": self.last,
                "throttled": rules.throttled,
                "refused_connections": rules.refused_connections,
                "quota_replies": rules.quota_replies,
                "most_connections": rules.most_connections,
            }


class _TrackedSMTP(SMTP):
    def __init__(self, handler: Any, rules: RelayRules, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._rules = rules

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._rules.opened(self)

    def connection_lost(self, error: Exception | None) -> None:
        self._rules.closed(self)
        super().connection_lost(error)


class _Controller(Controller):
    def __init__(self, handler: LimitedHandler, **kwargs: Any) -> None:
        self._rules = handler.rules
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        return _TrackedSMTP(self.handler, self._rules, **self.SMTP_kwargs)


def main(argv: list[str]) -> int:
    port, rate, window, connections = int(argv[0]), int(argv[1]), float(argv[2]), int(argv[3])

    def fresh() -> LimitedHandler:
        return LimitedHandler(RelayRules(rate_per_minute=rate, window=window, max_connections=connections))

    handler = fresh()
    controller = _Controller(handler, hostname=LOOPBACK, port=port, server_hostname="relay.bench")
    controller.start()
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
                print(json.dumps(handler.stats()), flush=True)
            elif command == "reset":
                new = fresh()
                handler.rules, handler.ids, handler.first, handler.last = new.rules, new.ids, 0.0, 0.0
                controller._rules = new.rules
                print("ok", flush=True)
            elif command == "quit":
                break
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
