"""`deskops serve` leaves its start-up heap out of later garbage collections, which otherwise
paused every request in flight for 100-200 ms whenever a full collection fell inside a burst."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.serve import freeze_startup_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_what_start_up_built_is_not_walked_by_later_collections(unfrozen: None) -> None:
    built_at_start_up = [{"n": n} for n in range(1000)]
    freeze_startup_heap()
    assert gc.get_freeze_count() >= len(built_at_start_up)
    walked = {id(o) for generation in range(3) for o in gc.get_objects(generation=generation)}
    assert not walked & {id(o) for o in built_at_start_up}
