"""Mail at a relay that limits us (an aiosmtpd sink with RelayRules): "slow down" answers mid-batch
pause sending and every invitation still goes exactly once, neither an attempt nor a failure; a
daily cap carries the rest to the next day in TIMEZONE; two replicas share the limits. What the
helpdesk sees is the batch card in the Slack emulator."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.enrollment.batches import send_batch
from bot.enrollment.drafts import add_invitees, start_draft
from bot.enrollment.jobs import EnrollJob
from bot.enrollment.models import BatchState, Invitation, InvitationBatch, PlatformChoice
from bot.integrations.directory.port import DirectoryUser
from bot.outbox.models import OutboxMessage, OutboxStatus
from console import SlackEmulator
from tests.support.app import RunningApp, run_app, wait_until
from tests.support.database import empty_postgres
from tests.support.relay_rules import RelayRules
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER, seed_helpdesk
from tests.support.smtp_sink import MakeSmtpSink, SmtpSink

ZONE = "Europe/Amsterdam"


def send_invitations(app: RunningApp, people: int) -> int:
    """A batch of `people` iOS invitations from the helpdesk channel, as Send does; its id."""
    deps = app.deps
    invitees = [
        DirectoryUser(
            f"uid=p{n}", f"p{n:03d}", f"Person {n:03d}", "Person", f"{n:03d}", f"p{n:03d}@example.com"
        )
        for n in range(people)
    ]
    with deps.db.transaction() as session:
        draft = start_draft(session, owner=HELPDESK_USER, channel_id=HELPDESK_CHANNEL, now=deps.clock.now())
        add_invitees(session, draft, invitees, source="test", now=deps.clock.now())
        batch = send_batch(
            session,
            draft=draft,
            days=7,
            platform=PlatformChoice.IOS,
            actor=HELPDESK_USER,
            now=deps.clock.now(),
            tokens=deps.tokens,
        )
        batch_id = batch.id
    app.service.worker.wake()
    return batch_id


def invitation_states(app: RunningApp, batch_id: int) -> dict[str, int]:
    with app.deps.db.read() as session:
        rows = session.execute(
            select(Invitation.state, func.count())
            .where(Invitation.batch_id == batch_id)
            .group_by(Invitation.state)
        )
        return {str(state): int(n) for state, n in rows}


def message_ids(sink: SmtpSink) -> Counter[str]:
    return Counter(str(message["Message-ID"]) for message in sink.messages)


class CardWatcher:
    """Every text the batch card showed while the test ran (sampled), as a person scrolling by."""

    def __init__(self, emulator: SlackEmulator) -> None:
        self.emulator = emulator
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            try:
                messages = self.emulator.channel(HELPDESK_CHANNEL).messages(include_replies=False)
            except LookupError:  # the channel is made when the test's app starts
                continue
            self.seen.update(message.all_text() for message in messages)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def showed(self, words: str) -> bool:
        return any(words in text for text in self.seen)


@pytest.fixture
def watch_card(slack_emulator: SlackEmulator) -> Iterator[CardWatcher]:
    watcher = CardWatcher(slack_emulator)
    yield watcher
    watcher.stop()


def relay_app(
    slack_emulator: SlackEmulator, database_url: str, tmp_path: Path, sink: SmtpSink, **settings: Any
) -> Any:
    seed_helpdesk(slack_emulator)
    return run_app(
        slack_emulator,
        database_url,
        tmp_path,
        smtp_url=sink.url,
        timezone=ZONE,
        scheduler_enabled=False,
        **settings,
    )


@pytest.mark.parametrize(
    ("reply", "pause_seconds", "least_gap"),
    [
        ("421 4.7.0 Try again later, closing connection", 2.0, 2.0),  # SMTP_PAUSE_SECONDS
        ("451 4.7.0 Message rate limit exceeded; try again in 2.5 seconds", 60.0, 2.5),  # as stated
    ],
    ids=["421", "4.7.x"],
)
def test_a_slow_down_answer_mid_batch_pauses_and_every_invitation_goes_once(
    slack_emulator: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    make_smtp_sink: MakeSmtpSink,
    watch_card: CardWatcher,
    reply: str,
    pause_seconds: float,
    least_gap: float,
) -> None:
    sink = make_smtp_sink(rules=RelayRules(scripted={15: reply}))
    with relay_app(slack_emulator, database_url, tmp_path, sink, smtp_pause_seconds=pause_seconds) as app:
        batch_id = send_invitations(app, 40)
        app.wait_for_outbox(timeout=30)
        assert invitation_states(app, batch_id) == {"sent": 40}
        ids = message_ids(sink)
        assert len(ids) == 40 and set(ids.values()) == {1}  # each once
        assert sink.rules is not None and sink.rules.throttled == 1
        with app.deps.db.read() as session:
            rows = session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == EnrollJob.INVITATION_EMAIL)
            ).all()
            # Not an attempt, not a failure: each row was delivered on its one counted attempt.
            assert {(row.status, row.attempts, row.last_error) for row in rows} == {
                (OutboxStatus.DELIVERED, 1, None)
            }
        metrics = app.http().get("/metrics").text
        assert "deskops_mail_relay_pauses_total 1.0" in metrics
    assert watch_card.showed("the mail server asked us to slow down; resuming at "), watch_card.seen
    assert watch_card.showed("Sending paused…") and watch_card.showed("of 40 invitations sent")
    # The relay was left alone for the pause: no MAIL command but the one other outbox thread
    # may have had on its way when the answer came.
    rules = sink.rules
    assert rules is not None
    [refused_at] = rules.refusal_times
    during = [t for t in rules.mail_times if refused_at < t < refused_at + least_gap - 0.05]
    assert len(during) <= 1, (refused_at, rules.mail_times)


@pytest.mark.parametrize("whose", ["SMTP_DAILY_LIMIT", "the relay's daily cap"])
def test_a_daily_cap_mid_batch_carries_the_rest_to_the_next_day(
    slack_emulator: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    make_smtp_sink: MakeSmtpSink,
    whose: str,
) -> None:
    # 22:30 in Amsterdam: the next day starts at 23:00 UTC.
    clock = ManualClock(datetime(2026, 12, 3, 21, 30, tzinfo=UTC))
    ours = whose == "SMTP_DAILY_LIMIT"
    rules = RelayRules(daily_cap=None if ours else 25)
    sink = make_smtp_sink(rules=rules)
    limits = {"smtp_daily_limit": 25} if ours else {}
    with relay_app(slack_emulator, database_url, tmp_path, sink, clock=clock, **limits) as app:
        batch_id = send_invitations(app, 40)
        wait_until(lambda: len(sink.messages) >= 25, timeout=20, what="25 e-mails")
        time.sleep(0.5)  # nothing more goes today
        assert len(sink.messages) == 25
        assert invitation_states(app, batch_id) == {"sent": 25, "queued": 15}
        wait_until(
            lambda: (
                "go out tomorrow from 00:00 CET" in card_text(slack_emulator)
                or "daily sending quota is used up; resuming tomorrow at 00:00 CET"
                in card_text(slack_emulator)
            ),
            timeout=10,
            what="the card to say the rest go tomorrow",
        )
        text = card_text(slack_emulator)
        assert "Sent 25 · Queued 0 · Paused 15" in text
        with app.deps.db.read() as session:
            batch = session.get(InvitationBatch, batch_id)
            assert batch is not None and batch.state is BatchState.SENDING
        # Midnight in Amsterdam: the rest goes, each once.
        rules.new_day()
        clock.set(datetime(2026, 12, 3, 23, 0, 1, tzinfo=UTC))
        app.service.worker.wake()
        app.wait_for_outbox(timeout=30)
        assert invitation_states(app, batch_id) == {"sent": 40}
        assert len(message_ids(sink)) == 40 and set(message_ids(sink).values()) == {1}
        # Only the messages already on their way (one per outbox thread) met the relay's answer.
        assert rules.quota_replies == 0 if ours else 1 <= rules.quota_replies <= 2


def card_text(emulator: SlackEmulator) -> str:
    return emulator.channel(HELPDESK_CHANNEL).last_message().all_text()


@pytest.mark.postgres
def test_two_replicas_share_the_rate_and_the_connections(
    slack_emulator: SlackEmulator,
    postgres_worker_url: str,
    tmp_path: Path,
    make_smtp_sink: MakeSmtpSink,
) -> None:
    empty_postgres(postgres_worker_url)
    # A sliding window of 10 s: 120 messages in any 10 s, a rate of 720 a minute.
    rules = RelayRules(rate_per_minute=720, window=10.0, max_connections=3)
    sink = make_smtp_sink(rules=rules)
    limits = {"smtp_rate_per_minute": 720, "smtp_max_connections": 3, "outbox_threads": 2}
    with ExitStack() as stack:
        first = stack.enter_context(
            relay_app(slack_emulator, postgres_worker_url, tmp_path / "a", sink, **limits)
        )
        second = stack.enter_context(
            relay_app(slack_emulator, postgres_worker_url, tmp_path / "b", sink, customers=None, **limits)
        )
        started = time.monotonic()
        batch_id = send_invitations(first, 130)
        second.service.worker.wake()
        first.wait_for_outbox(timeout=60)
        elapsed = time.monotonic() - started
        assert invitation_states(first, batch_id) == {"sent": 130}
        with first.deps.db.read() as session:
            workers = set(
                session.scalars(
                    select(OutboxMessage.claimed_by).where(OutboxMessage.kind == EnrollJob.INVITATION_EMAIL)
                )
            )
    # A claim is held as "<replica>-<claim>".
    assert len({worker.rsplit("-", 1)[0] for worker in workers}) >= 2, "both replicas sent some of the batch"
    ids = message_ids(sink)
    assert len(ids) == 130 and set(ids.values()) == {1}
    assert rules.throttled == 0 and rules.refused_connections == 0
    assert rules.most_connections <= 3
    # 720 a minute: 130 e-mails take at least 10.7 s, and not much more.
    assert 10.7 <= elapsed < 25, elapsed
