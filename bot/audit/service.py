from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from bot.audit.models import AuditEvent

# Through the table, not the mapped class: the ORM's bulk insert costs twice the statement.
# Inline: nothing reads the new id, so no RETURNING to fetch and process.
_INSERT_EVENT = insert(cast(Table, AuditEvent.__table__)).inline()


def _row(
    *,
    actor: str,
    action: str,
    target: str,
    now: datetime,
    customer_id: int | None,
    details: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "actor": actor,
        "action": action,
        "target": target,
        "details": details or {},
        "customer_id": customer_id,
        "created_at": now,
    }


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    now: datetime,
    customer_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    row = _row(actor=actor, action=action, target=target, now=now, customer_id=customer_id, details=details)
    event = AuditEvent(**row)
    session.add(event)
    return event


def record_at_once(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    now: datetime,
    customer_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """`record`, written at once as one statement, for a caller that needs no object back (no
    work for the unit of work's flush)."""
    row = _row(actor=actor, action=action, target=target, now=now, customer_id=customer_id, details=details)
    session.execute(_INSERT_EVENT, row)


def recent_events(session: Session, *, limit: int = 100, actor: str | None = None) -> Sequence[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    return session.scalars(query).all()
