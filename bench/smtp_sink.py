"""An aiosmtpd sink in its own process that only counts what it accepts (no parsing, no storing),
so that it is never what limits a throughput figure.

    python -m bench.smtp_sink PORT      # then, on stdin, one command per line:
        stats    -> "<accepted> <first accepted, epoch s> <last accepted, epoch s> <bytes>"
        reset    -> "ok"
        quit
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from aiosmtpd.controller import Controller

from bench.common import LOOPBACK


class CountingHandler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accepted = 0
        self.first = 0.0
        self.last = 0.0
        self.bytes = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.time()
        size = len(envelope.original_content or envelope.content or b"")
        with self.lock:
            if self.accepted == 0:
                self.first = now
            self.accepted += 1
            self.last = now
            self.bytes += size
        return "250 2.0.0 Message accepted for delivery"

    def stats(self) -> str:
        with self.lock:
            return f"{self.accepted} {self.first:.6f} {self.last:.6f} {self.bytes}"

    def reset(self) -> None:
        with self.lock:
            self.accepted, self.first, self.last, self.bytes = 0, 0.0, 0.0, 0


def main(argv: list[str]) -> int:
    handler = CountingHandler()
    controller = Controller(handler, hostname=LOOPBACK, port=int(argv[0]), server_hostname="sink.bench")
    controller.start()
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
                print(handler.stats(), flush=True)
            elif command == "reset":
                handler.reset()
                print("ok", flush=True)
            elif command == "quit":
                break
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
