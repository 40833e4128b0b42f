"""The batch card's progress: the bar, the counts, why it is paused and when it should finish, in
TIMEZONE, inside the Block Kit limits."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from blocks.enroll.messages import batch_card, batch_card_text
from blocks.enroll.progress import progress_bar
from bot.enrollment.models import BatchState, PlatformChoice
from bot.enrollment.progress import sending_outlook
from bot.enrollment.summary import BatchSummary
from bot.integrations.mail.port import DeferReason
from bot.mailrelay.pacing import RelayLimits, RelayOutlook
from console.blockkit import BlockKitLimits
from tests.support.paths import BLOCKKIT_LIMITS

LIMITS = BlockKitLimits.load(BLOCKKIT_LIMITS)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # 10:00 CET


def relay(
    *,
    rate: int | None = None,
    daily: int | None = None,
    sent_today: int = 0,
    paused_until: datetime | None = None,
) -> RelayOutlook:
    limits = RelayLimits(rate, 3, daily, 60.0, AMSTERDAM)
    reason = DeferReason.SLOW_DOWN if paused_until else None
    return RelayOutlook(
        limits, paused_until, reason, None, sent_today=sent_today, pauses=1 if paused_until else 0
    )


def summary(
    sent: int, queued: int, outlook_relay: RelayOutlook | None, *, started: datetime = NOW
) -> BatchSummary:
    total = sent + queued
    outlook = sending_outlook(
        now=NOW, zone=AMSTERDAM, queued=queued, sent=sent, started=started, relay=outlook_relay
    )
    return BatchSummary(
        id=7,
        created_by="U1",
        created_at=started,
        platform=PlatformChoice.IOS,
        days=7,
        expires_at=NOW + timedelta(days=7),
        invitees=total,
        invitations=total,
        state=BatchState.SENDING,
        problem=None,
        sent=sent,
        failed=0,
        queued=queued,
        failures=[],
        additional_licences=0,
        outlook=outlook,
    )


def card_text(batch: BatchSummary) -> str:
    blocks = [b.to_dict() for b in batch_card(batch)]
    assert LIMITS.validate_message(blocks, text=batch_card_text(batch)) == []
    return str(blocks)


def test_the_bar_fills_in_proportion_and_is_full_only_when_done() -> None:
    assert progress_bar(0, 1000) == "░" * 20 + " 0%"
    assert progress_bar(380, 1000) == "█" * 7 + "░" * 13 + " 38%"
    assert progress_bar(999, 1000) == "█" * 19 + "░" + " 99%"
    assert progress_bar(1000, 1000) == "█" * 20 + " 100%"


def test_a_paced_batch_shows_counts_and_its_finish_time_in_the_time_zone() -> None:
    batch = summary(400, 1_200, relay(rate=600))  # 1,200 at ~9.8 a second: ~2 minutes
    text = batch_card_text(batch)
    assert "██████████" not in text and "█████░░░" in text  # 25 %
    assert "Sent 400 · Queued 1,200 · Paused 0" in text
    assert "Expected to finish by 10:02 CET" in text
    assert "Expected to finish by 10:02 CET" in card_text(batch)


def test_without_a_rate_the_finish_follows_the_pace_so_far() -> None:
    batch = summary(500, 500, None, started=NOW - timedelta(minutes=5))
    assert "Expected to finish by 10:05 CET" in batch_card_text(batch)


def test_a_paused_batch_says_why_and_when_it_resumes() -> None:
    batch = summary(400, 600, relay(rate=600, paused_until=NOW + timedelta(minutes=42)))
    text = card_text(batch)
    assert "Sending paused… 400 of 1,000 invitations sent" in text
    assert "Sent 400 · Queued 0 · Paused 600" in text
    assert "the mail server asked us to slow down; resuming at 10:42 CET" in text
    assert "Expected to finish by 10:43 CET" in text  # 600 at ~9.8 a second after 10:42
    assert "resuming at 10:42 CET" in batch_card_text(batch)


def test_the_daily_limit_carries_the_rest_to_tomorrow() -> None:
    carried = summary(200, 900, relay(rate=60, daily=1_000, sent_today=700))
    text = batch_card_text(carried)
    assert "Sent 200 · Queued 900 · Paused 0" in text
    assert "today's limit carries 600 to the next day" in text
    assert "Expected to finish tomorrow by 00:10 CET" in text  # 600 at ~59 a minute from midnight
    reached = summary(1_000, 500, relay(rate=60, daily=1_000, sent_today=1_000))
    text = card_text(reached)
    assert "Paused 500" in text
    assert (
        "today's limit of e-mails (SMTP_DAILY_LIMIT) is reached; the rest go out tomorrow from 00:00 CET"
        in text
    )
    assert "Expected to finish tomorrow by 00:08 CET" in text


def test_a_finished_batch_shows_a_full_bar_and_no_forecast() -> None:
    done = dataclasses.replace(summary(1_000, 0, None), state=BatchState.DONE, outlook=None)
    text = card_text(done)
    assert "█" * 20 + " 100%" in text and "Expected" not in text
