"""The Acronis emulator (tests/support/acronis) in a process of its own, every answer of its API
held back by a fixed delay, as a data center across the internet answers:

    python -m bench.acronis_server PORT [DELAY_SECONDS]     # default 0.1

It serves the seeded partner and sample customers with the emulator's client credentials
(`bench.acronis_server.CLIENT_ID` / `CLIENT_SECRET`) until it is stopped.
"""

from __future__ import annotations

import signal
import sys
import threading

from tests.support.acronis import CLIENT_ID, CLIENT_SECRET, AcronisEmulator

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "main"]
METHODS = ("GET", "POST", "PUT", "DELETE")


def main(argv: list[str]) -> int:
    port = int(argv[0])
    delay = float(argv[1]) if len(argv) > 1 else 0.1
    emulator = AcronisEmulator(port=port)
    for method in METHODS:
        # status None: the normal answer, after `delay`; times None: every request.
        emulator.fail(method, ".*", status=None, delay=delay, times=None)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    emulator.start()
    try:
        stopped.wait()
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
