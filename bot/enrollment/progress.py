"""How a batch's sending stands at the relay: what waits on a pause, and when it should finish."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.integrations.mail.port import DeferReason
from bot.mailrelay.pacing import RATE_MARGIN, RelayOutlook, next_midnight


@dataclass(frozen=True)
class SendingOutlook:
    """Times are in TIMEZONE (aware datetimes in that zone)."""

    now: datetime
    paused: int  # e-mails waiting for a pause to end
    pause_reason: DeferReason | None
    resume_at: datetime | None
    # E-mails today's limit carries to a later day (without a pause yet).
    carried: int
    finish_at: datetime | None


def sending_outlook(
    *,
    now: datetime,
    zone: ZoneInfo,
    queued: int,
    sent: int,
    started: datetime,
    relay: RelayOutlook | None,
) -> SendingOutlook:
    """Where the queued e-mails of a batch stand. The finish time assumes the relay's rate
    (SMTP_RATE_PER_MINUTE) or, without one, the pace the batch has kept so far."""
    resume_at, reason = (relay.paused_until, relay.pause_reason) if relay else (None, None)
    daily = relay.limits.daily_limit if relay else None
    left_today = max(0, daily - relay.sent_today) if relay and daily is not None else None
    if left_today == 0 and queued:
        midnight = next_midnight(now, zone)
        if resume_at is None or resume_at < midnight:
            resume_at, reason = midnight, DeferReason.DAILY_LIMIT
    waiting = queued if resume_at is not None else 0
    carried = max(0, queued - left_today) if left_today is not None and resume_at is None else 0
    per_second = _rate(relay, sent=sent, elapsed=(now - started).total_seconds())
    finish = None
    if queued and per_second is not None:
        start = resume_at or now
        if daily is not None and start.astimezone(zone).date() != now.astimezone(zone).date():
            left_today = daily  # resuming on a later day: that day's whole allowance
        finish = _finish(
            start=start, remaining=queued, per_second=per_second, zone=zone, daily=daily, left=left_today
        )
    local = now.astimezone(zone)
    return SendingOutlook(
        now=local,
        paused=waiting,
        pause_reason=reason if resume_at is not None else None,
        resume_at=resume_at.astimezone(zone) if resume_at is not None else None,
        carried=carried,
        finish_at=finish.astimezone(zone) if finish is not None else None,
    )


def _rate(relay: RelayOutlook | None, *, sent: int, elapsed: float) -> float | None:
    if relay is not None and relay.limits.rate_per_minute is not None:
        return relay.limits.rate_per_minute / 60.0 / (1 + RATE_MARGIN)
    if sent > 0 and elapsed > 0:
        return sent / elapsed
    return None


def _finish(
    *,
    start: datetime,
    remaining: int,
    per_second: float,
    zone: ZoneInfo,
    daily: int | None,
    left: int | None,
) -> datetime:
    """When the last of `remaining` e-mails goes, `left` of them allowed on the start's day and
    `daily` on each day after."""
    if daily is None or left is None or remaining <= left:
        return start + timedelta(seconds=remaining / per_second)
    rest = remaining - left
    days = math.ceil(rest / daily)
    day_start = start
    for _ in range(days):
        day_start = next_midnight(day_start, zone)
    last_day = rest - (days - 1) * daily
    return day_start + timedelta(seconds=last_day / per_second)
