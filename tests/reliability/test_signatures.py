"""Requests to /slack/events that Slack did not sign, or not now, or not with this body, get 401
and change nothing: no database row (not even the retry key), no Web API call.

Property-based (hypothesis): forged signatures and timestamps, stale or future timestamps,
genuine signatures replayed over altered bodies, and truncated bodies, over request bodies that
would act if they were genuine: a slash command that sends an activation e-mail, a click on
Activate, the submission of Add New User and an App Home event. The same bodies correctly
signed then act, so the checks can tell the difference; sent again word for word (a replay
inside the 5 minutes), each is refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.accounts.models import BackupUser
from console import SlackEmulator, payloads
from console.transport import SentRequest
from tests.e2e.backup_flows import add_user_with_backup, fill_user, open_add_user
from tests.reliability.conftest import SQLITE_ONLY
from tests.reliability.helpers import (
    SCHEDULER_RUNS,
    button_click_body,
    count_rows,
    slash_body,
    submission,
    table_counts,
)
from tests.support.app import RunningApp
from tests.support.reliability import Figures
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER

pytestmark = SQLITE_ONLY  # verification comes before the database; one backend is enough
T = TypeVar("T")
STALE = 5 * 60
HEADER_TEXT = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=120)


@dataclass(frozen=True)
class Genuine:
    """Bodies Slack would send, each of which acts when signed correctly."""

    requests: tuple[SentRequest, ...]


@pytest.fixture
def genuine(helpdesk_app: RunningApp, slack_emulator: SlackEmulator) -> Genuine:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Globex", email="john.doe@example.com")
    helpdesk_app.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    view = open_add_user(helen, "Globex")
    fill_user(view, "Jane", "Roe", "jane.roe@example.com")
    view.tick("services", [])
    view.wait_for_update()
    ws = slack_emulator.workspace
    event = payloads.app_home_opened(
        ws.identity,
        user_id=HELPDESK_USER,
        channel_id=ws.im_channel(HELPDESK_USER).id,
        view=None,
        event_id="Ev0SIGNED01",
        event_time=int(time.time()),
        event_ts=ws.new_ts(),
    )
    return Genuine(
        requests=(
            SentRequest(
                "command",
                slash_body(
                    slack_emulator,
                    HELPDESK_USER,
                    "/backup",
                    "activate john.doe@example.com",
                    HELPDESK_CHANNEL,
                ),
            ),
            SentRequest(
                "interactivity",
                button_click_body(slack_emulator, HELPDESK_USER, card, "backup.user.activate"),
            ),
            SentRequest("interactivity", submission(slack_emulator, HELPDESK_USER, view.view)),
            SentRequest("event", payloads.event_body(event)),
        )
    )


class Unchanged:
    """Asserts after every example that nothing was stored and Slack was not called."""

    def __init__(self, app: RunningApp, emulator: SlackEmulator, figures: Figures) -> None:
        app.wait_for_outbox()
        self.app, self.emulator, self.figures = app, emulator, figures
        self.rows = table_counts(app.deps.db, ignore=(SCHEDULER_RUNS,))  # the retry keys too
        self.calls = len(emulator.calls())
        self.responses = len(emulator.response_posts())

    def check(self, answer: httpx.Response | int) -> None:
        status = answer if isinstance(answer, int) else answer.status_code
        assert status == 401, f"answered {status}"
        assert self.app.service.listeners.in_flight == 0
        assert table_counts(self.app.deps.db, ignore=(SCHEDULER_RUNS,)) == self.rows
        assert len(self.emulator.calls()) == self.calls
        assert len(self.emulator.response_posts()) == self.responses
        self.figures.add("forged or stale requests refused")


def examples(request: pytest.FixtureRequest) -> int:
    return 400 if request.config.getoption("--long") else 40


def post(emulator: SlackEmulator, request: SentRequest, headers: dict[str, str]) -> httpx.Response:
    """Sent with exactly these Slack headers (some may be missing)."""
    assert emulator.events_url is not None
    return httpx.post(
        emulator.events_url,
        content=request.body,
        headers={"Content-Type": request.content_type, **headers},
        timeout=10,
        trust_env=False,
    )


def run(request: pytest.FixtureRequest, strategy: st.SearchStrategy[T], check: Callable[[T], None]) -> None:
    @settings(
        max_examples=examples(request),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(strategy)
    def property_holds(example: T) -> None:
        check(example)

    property_holds()


def test_forged_signatures_and_timestamps_are_refused(
    genuine: Genuine,
    helpdesk_app: RunningApp,
    slack_emulator: SlackEmulator,
    figures: Figures,
    request: pytest.FixtureRequest,
) -> None:
    unchanged = Unchanged(helpdesk_app, slack_emulator, figures)
    hex_signature = st.text("0123456789abcdef", min_size=64, max_size=64).map(lambda h: "v0=" + h)

    def check(example: tuple[int, str, str, str | None]) -> None:
        index, signature, timestamp, drop = example
        sent = genuine.requests[index]
        headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}
        if drop:
            headers.pop(drop)
        answer = post(slack_emulator, sent, headers)
        figures.add("requests sent to the app")
        figures.add("requests refused with 401" if answer.status_code == 401 else "answers 5xx or none")
        unchanged.check(answer)

    now = st.just(str(int(time.time())))
    strategy = st.tuples(
        st.integers(0, len(genuine.requests) - 1),
        st.one_of(hex_signature, HEADER_TEXT),
        st.one_of(now, HEADER_TEXT, st.integers(-(10**12), 10**12).map(str)),
        st.sampled_from([None, "X-Slack-Request-Timestamp", "X-Slack-Signature"]),
    )
    run(request, strategy, check)


def test_stale_and_future_timestamps_are_refused_even_when_signed(
    genuine: Genuine,
    helpdesk_app: RunningApp,
    slack_emulator: SlackEmulator,
    figures: Figures,
    request: pytest.FixtureRequest,
) -> None:
    unchanged = Unchanged(helpdesk_app, slack_emulator, figures)

    def check(example: tuple[int, int]) -> None:
        index, offset = example
        stamp = int(time.time()) + offset
        unchanged.check(slack_emulator.send_raw(genuine.requests[index], timestamp=stamp).status)

    past = st.integers(STALE + 1, 10**8).map(lambda s: -s)
    future = st.integers(STALE + 2, 10**8)  # the request may take a moment to arrive
    run(request, st.tuples(st.integers(0, len(genuine.requests) - 1), st.one_of(past, future)), check)


def test_a_genuine_signature_over_an_altered_or_truncated_body_is_refused(
    genuine: Genuine,
    helpdesk_app: RunningApp,
    slack_emulator: SlackEmulator,
    figures: Figures,
    request: pytest.FixtureRequest,
) -> None:
    unchanged = Unchanged(helpdesk_app, slack_emulator, figures)

    def check(example: tuple[int, str, int, bytes]) -> None:
        index, change, position, data = example
        original = genuine.requests[index]
        body = original.body
        at = position % (len(body) + 1)
        if change == "truncate":
            altered = body[:at] if at < len(body) else body[:-1]
        elif change == "insert":
            altered = body[:at] + (data or b"&") + body[at:]
        elif change == "replace":
            replacement = data or b"x"
            altered = body[:at] + replacement + body[at + len(replacement) :]
        else:  # another person, as a forger would try first
            altered = body.replace(HELPDESK_USER.encode(), b"U0OUTS001")
        if altered == body:
            altered = body + b"&x=1"
        stamp = str(int(time.time()))
        signature = slack_emulator.sender.signature(body, stamp)  # the genuine request's signature
        answer = slack_emulator.send_raw(
            SentRequest(original.kind, altered), timestamp=int(stamp), signature=signature
        )
        unchanged.check(answer.status)

    strategy = st.tuples(
        st.integers(0, len(genuine.requests) - 1),
        st.sampled_from(["truncate", "insert", "replace", "person"]),
        st.integers(0, 10**6),
        st.binary(max_size=40),
    )
    run(request, strategy, check)


def test_the_same_bodies_signed_correctly_act(
    genuine: Genuine, helpdesk_app: RunningApp, slack_emulator: SlackEmulator, figures: Figures
) -> None:
    """The control: what the properties above refuse is what acts when Slack really sends it."""
    command, click, add_user, home = genuine.requests
    assert slack_emulator.send_raw(command).status == 200
    helpdesk_app.wait_for_outbox()
    assert helpdesk_app.activation_emails_sent() == 1
    assert slack_emulator.send_raw(add_user).status == 200
    assert count_rows(helpdesk_app.deps.db, BackupUser, BackupUser.email == "jane.roe@example.com") == 1
    assert slack_emulator.send_raw(home).status == 200
    slack_emulator.wait_until(lambda: slack_emulator.home_view(HELPDESK_USER))
    assert slack_emulator.send_raw(click).status == 200
    helpdesk_app.wait_for_outbox()
    figures.add("genuine requests acting", 4)


def test_a_signed_request_sent_again_word_for_word_is_refused(
    genuine: Genuine, helpdesk_app: RunningApp, slack_emulator: SlackEmulator, figures: Figures
) -> None:
    """A replay inside Slack's 5 minutes: the same body, timestamp and signature, without
    X-Slack-Retry-Num (Slack's own retries carry it and are recognised by their request key)."""
    for sent in genuine.requests:
        stamp = int(time.time())
        signature = slack_emulator.sender.signature(sent.body, str(stamp))
        assert slack_emulator.send_raw(sent, timestamp=stamp, signature=signature).status == 200
        unchanged = Unchanged(helpdesk_app, slack_emulator, figures)  # after it acted
        unchanged.check(slack_emulator.send_raw(sent, timestamp=stamp, signature=signature).status)
        figures.add("requests sent to the app", 2)
        figures.add("requests refused with 401")
