"""Dates and times as end users read them: in TIMEZONE, with the zone named, in their language."""

from __future__ import annotations

import functools
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_datetime_format, get_timezone_name


def format_moment(moment: datetime, *, zone: ZoneInfo, language: str) -> str:
    """E.g. `December 10, 2026, 9:30 AM (Central European Standard Time)`,
    `10. Dezember 2026, 09:30 (Mitteleuropäische Normalzeit)`: the language's long date and
    short time, joined as the language joins them, then the zone's name in that language."""
    return _formatted(moment, zone, language)


# The invitations of a batch share one expiry: formatting it once per batch and language keeps
# Babel (a third of an invitation e-mail's rendering otherwise) out of the sending loop.
@functools.lru_cache(maxsize=1024)
def _formatted(moment: datetime, zone: ZoneInfo, language: str) -> str:
    local = moment.astimezone(zone)
    date = format_date(local, "long", locale=language)
    time = format_time(local, "short", locale=language)
    joined = str(get_datetime_format("long", locale=language)).replace("{1}", date).replace("{0}", time)
    text = f"{joined} ({get_timezone_name(local, 'long', locale=language)})"
    # CLDR puts a narrow no-break space before AM/PM; older mail clients' fonts lack it.
    return text.replace("\u202f", "\u00a0")
