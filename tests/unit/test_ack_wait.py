"""A request's dispatching thread sleeps until its listener acks, then answers at once, instead
of waking every 10 ms to look (under a burst of view submissions those wake-ups take the GIL
from the listeners whose work the acks wait for)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from slack_bolt import Ack, BoltRequest
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.listener import thread_runner
from slack_sdk import WebClient

from bot.app import DeskopsApp
from bot.slack.acks import FollowUpGate
from bot.slack.sealing import MetadataSeal
from bot.tokens import LinkTokens

LISTENER_SECONDS = 0.5  # what the listener takes before it acks


class CountingClock:
    """Bolt's thread runner's clock, counting how often the dispatching thread wakes to look."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.sleeps = 0

    def time(self) -> float:
        return float(self.clock.time())

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.clock.sleep(seconds)


def _app() -> DeskopsApp:
    app = DeskopsApp(
        gate=FollowUpGate(threads=4),
        seal=MetadataSeal(LinkTokens(b"unit-test-secret-key-0123456789abcdef")),
        client=WebClient(),
        authorize=lambda **_: AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-unit"),
        signing_secret="unit",
        request_verification_enabled=False,
        token_verification_enabled=False,
        process_before_response=False,
    )

    @app.view("slow_submission")
    def submit(ack: Ack) -> None:
        time.sleep(LISTENER_SECONDS)
        ack(response_action="clear")

    return app


def _submission() -> BoltRequest:
    body = {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "U1", "team_id": "T1"},
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "slow_submission",
            "private_metadata": "",
            "state": {"values": {}},
        },
    }
    return BoltRequest(body=body, mode="socket_mode")


def test_the_dispatching_thread_sleeps_until_the_ack_and_answers_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _app()
    clock = CountingClock(thread_runner.time)
    monkeypatch.setattr(thread_runner, "time", clock)
    started = time.monotonic()
    response = app.dispatch(_submission())
    elapsed = time.monotonic() - started
    assert response.status == 200
    assert json.loads(response.body) == {"response_action": "clear"}
    assert elapsed < LISTENER_SECONDS + 0.2
    # Polling every 10 ms would wake ~50 times while the listener works.
    assert clock.sleeps <= 10
