"""`deskops digest --preview | --send`: the digest of the last day (up to now), by hand."""

from __future__ import annotations

import sys
from datetime import timedelta

from blocks.digest import digest_preview
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database
from bot.digest.schedule import day_before
from bot.digest.service import Digest
from bot.outbox.handlers import DeliveryFailed
from bot.slack.client import make_web_client
from bot.slack.digest import DigestDelivery

EXIT_FAILED = 1
EXIT_CONFIG = 2


def _delivery(settings: Settings, db: Database) -> DigestDelivery:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return DigestDelivery(
        db=db,
        slack=make_web_client(token, settings.slack_api_url),
        expiring_window=timedelta(hours=settings.reminder_expiry_window_hours),
        per_licence=settings.devices_per_licence,
        timezone=settings.timezone,
    )


def last_day(settings: Settings, db: Database, clock: Clock | None = None) -> Digest:
    """The digest of the calendar day up to now."""
    now = (clock or SystemClock()).now()
    return _delivery(settings, db).collect(
        day=now.astimezone(settings.zone).date(), start=day_before(now, settings.zone), end=now
    )


def preview_digest(settings: Settings, db: Database, clock: Clock | None = None) -> str:
    return digest_preview(last_day(settings, db, clock))


def send_digest(settings: Settings, db: Database, clock: Clock | None = None) -> int:
    if settings.digest_channel is None:
        print(
            "DIGEST_CHANNEL is not set: name the channel id the digest goes to, e.g. C0123ABCD",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    if settings.slack_bot_token is None:
        print("SLACK_BOT_TOKEN is not set: the digest cannot be posted without it", file=sys.stderr)
        return EXIT_CONFIG
    digest = last_day(settings, db, clock)
    try:
        posted = _delivery(settings, db).post(digest, channel=settings.digest_channel)
    except DeliveryFailed as error:
        print(f"the digest was not posted: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"posted the digest to {posted.channel} (message {posted.ts})")
    return 0
