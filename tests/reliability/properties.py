"""Running a hypothesis property inside a test that uses function-scoped fixtures (the running
app): as many examples as the run asks for (ten times more with `--long`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

T = TypeVar("T")


def examples(request: pytest.FixtureRequest, default: int = 40) -> int:
    return default * 10 if request.config.getoption("--long") else default


def run_property(
    request: pytest.FixtureRequest,
    strategy: st.SearchStrategy[T],
    check: Callable[[T], None],
    *,
    default: int = 40,
) -> None:
    @settings(
        max_examples=examples(request, default),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(strategy)
    def property_holds(example: T) -> None:
        check(example)

    property_holds()
