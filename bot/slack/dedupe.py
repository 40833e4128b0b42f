"""Slack retries (X-Slack-Retry-Num) are dropped when the same request was already taken.

Every request's key is claimed in the database, so the check holds across restarts and across
replicas sharing one PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.slack.models import ProcessedSlackRequest


def request_key(body: dict[str, Any], raw_body: str) -> str:
    """What identifies one Slack request across its retries."""
    if body.get("type") == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}"
    trigger = body.get("trigger_id")
    if trigger:
        return f"trigger:{trigger}"
    payload = body.get("payload")
    if isinstance(payload, str):
        try:
            parsed = json.loads(payload)
        except ValueError:
            parsed = {}
        if parsed.get("trigger_id"):
            return f"trigger:{parsed['trigger_id']}"
    return "body:" + hashlib.sha256(raw_body.encode("utf-8")).hexdigest()


def claim(session: Session, key: str, *, now: datetime) -> bool:
    """True the first time a key is seen, False for a repeat."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(ProcessedSlackRequest)
        .values(key=key, created_at=now)
        .on_conflict_do_nothing()
        .returning(ProcessedSlackRequest.key)
    )
    # A row comes back only when this call inserted it (rowcount is not reliable here).
    return session.execute(statement).first() is not None


def forget_older_than(session: Session, *, now: datetime, age: timedelta = timedelta(days=2)) -> int:
    result = session.execute(
        delete(ProcessedSlackRequest).where(ProcessedSlackRequest.created_at < now - age)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
