"""Writing to the outbox. Called inside the unit of work that changes state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.outbox.models import OutboxMessage, OutboxStatus

# Set on a session that enqueued work, so the worker can be woken right after commit.
ENQUEUED_FLAG = "deskops.outbox_enqueued"
ENQUEUE_CHUNK = 1000
_OUTBOX = cast(Table, OutboxMessage.__table__)
# New rows through the table, not the mapped class: the ORM's bulk insert costs twice the
# statement (built once here, so it is also keyed and compiled once). Inline: nothing reads
# their ids, so no RETURNING to fetch and process.
_INSERT_OUTBOX = insert(_OUTBOX).inline()


def _pending_row(
    *,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    group_key: str | None,
    max_attempts: int,
    dedupe_key: str | None = None,
    delay: timedelta = timedelta(0),
) -> dict[str, Any]:
    """The columns of a new outbox row, waiting for its first attempt."""
    return {
        "kind": kind,
        "payload": payload,
        "dedupe_key": dedupe_key,
        "group_key": group_key,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "max_attempts": max_attempts,
        "next_attempt_at": now + delay,
        "created_at": now,
    }


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    dedupe_key: str | None = None,
    group_key: str | None = None,
    delay: timedelta = timedelta(0),
    max_attempts: int = 8,
) -> OutboxMessage:
    """Queue one side effect; with a `dedupe_key` already queued, return that row instead."""
    if dedupe_key is not None:
        existing = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    message = OutboxMessage(
        **_pending_row(
            kind=kind,
            payload=payload,
            now=now,
            group_key=group_key,
            max_attempts=max_attempts,
            dedupe_key=dedupe_key,
            delay=delay,
        )
    )
    session.add(message)
    session.info[ENQUEUED_FLAG] = True
    return message


@dataclass(frozen=True)
class NewEffect:
    """A side effect about something created in the caller's transaction (see enqueue_new)."""

    kind: str
    payload: dict[str, Any]
    dedupe_key: str | None = None


def enqueue_new(session: Session, effects: Sequence[NewEffect], *, now: datetime) -> None:
    """Queue side effects about what this transaction created, in one statement and without
    looking their dedupe keys up: no row can have them yet (the unique index still has the last
    word)."""
    rows = [
        _pending_row(
            kind=e.kind, payload=e.payload, now=now, group_key=None, max_attempts=8, dedupe_key=e.dedupe_key
        )
        for e in effects
    ]
    if rows:
        session.execute(_INSERT_OUTBOX, rows)
        session.info[ENQUEUED_FLAG] = True


def enqueue_once(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    dedupe_key: str,
    group_key: str | None = None,
    max_attempts: int = 8,
) -> bool:
    """Queue a side effect unless its `dedupe_key` is queued already, in one statement that two
    transactions can run at once (INSERT … ON CONFLICT DO NOTHING); True when this call queued it."""
    insert_for = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert_for(OutboxMessage)
        .values(
            **_pending_row(
                kind=kind,
                payload=payload,
                now=now,
                group_key=group_key,
                max_attempts=max_attempts,
                dedupe_key=dedupe_key,
            )
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    )
    queued = session.execute(statement).first() is not None
    if queued:
        session.info[ENQUEUED_FLAG] = True
    return queued


def enqueue_many(
    session: Session,
    *,
    kind: str,
    payloads: Sequence[dict[str, Any]],
    now: datetime,
    group_key: str | None = None,
    max_attempts: int = 8,
) -> None:
    """Queue many side effects of one kind at once (a batch of thousands, a thousand rows per
    statement: memory stays flat however large the batch)."""
    if not payloads:
        return
    for start in range(0, len(payloads), ENQUEUE_CHUNK):
        rows = [
            _pending_row(kind=kind, payload=payload, now=now, group_key=group_key, max_attempts=max_attempts)
            for payload in payloads[start : start + ENQUEUE_CHUNK]
        ]
        session.execute(_INSERT_OUTBOX, rows)
    session.info[ENQUEUED_FLAG] = True


def postpone_group(session: Session, *, group_key: str, until: datetime) -> int:
    """Hold back a group's waiting rows (e.g. while the SMTP server refuses our login)."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.group_key == group_key,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at < until,
        )
        .values(next_attempt_at=until)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def group_counts(session: Session, group_key: str) -> dict[OutboxStatus, int]:
    rows = session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.group_key == group_key)
        .group_by(OutboxMessage.status)
    )
    return {OutboxStatus(status): int(count) for status, count in rows}


def pending_count(session: Session) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
        )
        or 0
    )


def failed_messages(session: Session, *, group_key: str | None = None) -> Sequence[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
    if group_key is not None:
        query = query.where(OutboxMessage.group_key == group_key)
    return session.scalars(query.order_by(OutboxMessage.id)).all()


def retry_failed(session: Session, *, now: datetime, group_key: str | None = None) -> int:
    """Put failed (and waiting) rows back in line now, e.g. after mail settings were fixed."""
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.status.in_([OutboxStatus.FAILED, OutboxStatus.PENDING]))
        .values(status=OutboxStatus.PENDING, next_attempt_at=now, attempts=0)
    )
    if group_key is not None:
        statement = statement.where(OutboxMessage.group_key == group_key)
    result = session.execute(statement)
    session.info[ENQUEUED_FLAG] = True
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def oldest_undelivered(session: Session) -> datetime | None:
    """When the oldest row still waiting (pending or being delivered) was queued."""
    return session.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
        )
    )


def postpone_kind(session: Session, *, kind: str, until: datetime) -> int:
    """Hold back every waiting row of a kind (e.g. all e-mails while the mail relay is paused).

    Rows another replica is holding back at the same moment are left to it: two such updates
    locking the same rows in different orders would deadlock (PostgreSQL)."""
    waiting = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.kind == kind,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at < until,
        )
        .with_for_update(skip_locked=True)
    )
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(waiting))
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
