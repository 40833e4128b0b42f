"""Full garbage collections between bursts of Slack requests.

CPython collects its oldest generation once enough objects have survived the younger
collections. In `deskops serve` that walk holds the GIL for 5 to 15 ms (the start-up heap frozen,
bot.serve.freeze_startup_heap), and one that fell inside a burst of 50 Slack requests delayed
every ack still to go out, and the burst's p99, by as much. The server leaves the oldest
generation to this thread, which collects it every `interval` seconds once no request waits for
its ack (bot.traffic), and at the latest after `patience` more; the young generations are
collected as CPython does, as they are cheap.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable

NEVER = 1_000_000_000  # a threshold of the oldest generation that automatic collection never reaches


class FullCollections:
    def __init__(
        self, lull: Callable[[float], bool], *, interval: float = 10.0, patience: float = 2.0
    ) -> None:
        self.lull = lull
        self.interval = interval
        self.patience = patience
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="full-collections", daemon=True)
        self._thresholds = gc.get_threshold()

    def start(self) -> None:
        young, middle, _ = self._thresholds
        gc.set_threshold(young, middle, NEVER)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=self.interval + self.patience)
        gc.set_threshold(*self._thresholds)

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            self.lull(self.patience)
            gc.collect()
