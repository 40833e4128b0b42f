"""A listener that claims its Slack request key in its own first write: a repeat stops it, and
one that fails before that write still claims the key, so a retry of it is not answered twice."""

from __future__ import annotations

from typing import cast

import pytest

from bot.request_keys import AlreadyClaimed
from bot.slack.acks import PendingClaim, RepeatedRequest
from bot.slack.dedupe import ClaimFailed, RequestClaims


class Claims:
    """RequestClaims' answers without a database."""

    def __init__(self, *, failing: bool = False) -> None:
        self.seen: set[str] = set()
        self.failing = failing

    def claim(self, key: str) -> bool:
        if self.failing:
            raise ClaimFailed(key)
        first = key not in self.seen
        self.seen.add(key)
        return first


def _pending(claims: Claims) -> PendingClaim:
    return PendingClaim(cast(RequestClaims, claims), "trigger:1")


def test_a_repeat_found_by_the_write_stops_the_listener() -> None:
    with pytest.raises(RepeatedRequest), _pending(Claims()).settled():
        raise AlreadyClaimed("trigger:1")


def test_a_failure_before_the_write_claims_the_key_and_its_retry_stops() -> None:
    claims = Claims()
    with pytest.raises(ValueError, match="directory down"), _pending(claims).settled():
        raise ValueError("directory down")
    assert claims.seen == {"trigger:1"}
    with pytest.raises(RepeatedRequest), _pending(claims).settled():
        raise ValueError("directory down")


def test_a_failure_with_the_database_down_reports_the_listeners_own_error() -> None:
    with pytest.raises(ValueError, match="directory down"), _pending(Claims(failing=True)).settled():
        raise ValueError("directory down")
