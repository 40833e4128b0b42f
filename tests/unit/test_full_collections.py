"""The server's full garbage collections wait for a lull in Slack requests, and still happen:
a reference cycle that reached the oldest generation is freed, not kept for ever."""

from __future__ import annotations

import gc
import time
import weakref

from bot.collector import NEVER, FullCollections


class Node:
    def __init__(self) -> None:
        self.me = self


def test_a_cycle_in_the_oldest_generation_is_freed_in_a_lull_and_not_before() -> None:
    lulls: list[float] = []
    acks_due = True

    def lull(patience: float) -> bool:
        lulls.append(patience)
        while acks_due and patience > 0:  # requests wait for their acks: no collection yet
            time.sleep(0.01)
            patience -= 0.01
        return not acks_due

    collections = FullCollections(lull, interval=0.05, patience=5.0)
    collections.start()
    try:
        assert gc.get_threshold()[2] == NEVER  # CPython itself never walks the oldest generation now
        node = Node()
        gc.collect(1)  # the cycle survives a collection of the middle generation: it is in the oldest
        freed = weakref.ref(node)
        del node
        time.sleep(0.3)
        assert freed() is not None and lulls  # waiting for the lull
        acks_due = False
        deadline = time.monotonic() + 5
        while freed() is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert freed() is None
    finally:
        collections.stop()


def test_stopping_gives_cpython_its_own_thresholds_back() -> None:
    before = gc.get_threshold()
    collections = FullCollections(lambda patience: True, interval=0.05)
    collections.start()
    collections.stop()
    assert gc.get_threshold() == before
