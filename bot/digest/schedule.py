"""When the daily digest is due and which period it covers, in local time (daylight-saving correct).

A digest covers one calendar day in TIMEZONE, ending at DIGEST_TIME: 24 hours on most days,
23 after the spring change and 25 after the autumn one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant `at` happens on `day` in `zone` (UTC). A time skipped by a daylight-saving gap
    counts as the same wall-clock time before the change, i.e. the hour after the gap."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def due_day(now: datetime, at: time, zone: ZoneInfo) -> date | None:
    """The local day whose digest is due at `now`, or None before today's DIGEST_TIME."""
    today = now.astimezone(zone).date()
    return today if now >= local_moment(today, at, zone) else None


def day_before(end: datetime, zone: ZoneInfo) -> datetime:
    """The same wall-clock time one calendar day earlier (23, 24 or 25 hours before)."""
    local = end.astimezone(zone)
    earlier = datetime.combine(
        local.date() - timedelta(days=1), local.time().replace(tzinfo=None), tzinfo=zone
    )
    return earlier.astimezone(UTC)


def digest_period(day: date, at: time, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """From the previous day's DIGEST_TIME to this day's."""
    end = local_moment(day, at, zone)
    return local_moment(day - timedelta(days=1), at, zone), end
