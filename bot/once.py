"""Doing something once when two requests race for it, decided by the database rather than by a
read followed by a write (two transactions both read "not yet" under READ COMMITTED).

- `spend_once`: a conditional UPDATE (`… SET used_at = now WHERE id = ? AND used_at IS NULL`):
  PostgreSQL makes the second writer wait for the first and re-check the condition, so exactly one
  sees a row changed; SQLite's writers are serialised already.
- `insert_once`: the INSERT in a savepoint; a unique-key violation means a concurrent transaction
  inserted the same key first, and that row is returned instead.
- `insert_new`: many rows at once, those whose unique key exists already (inserted by a concurrent
  transaction) skipped by the database (`ON CONFLICT DO NOTHING`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

T = TypeVar("T")


def spend_once(
    session: Session, column: InstrumentedAttribute[Any], row_id: int, now: datetime, *still: Any
) -> bool:
    """Set `column` (a "used at" timestamp) to `now` on row `row_id` if it is still unset and
    `still` holds; True for the one caller that did."""
    model = column.class_
    statement = (
        update(model)
        .where(model.id == row_id, column.is_(None), *still)
        .values({column.key: now})
        .execution_options(synchronize_session="fetch")
    )
    return int(session.execute(statement).rowcount) == 1  # type: ignore[attr-defined]


def insert_once(session: Session, row: T, existing: Callable[[], T | None]) -> tuple[T, bool]:
    """`row` inserted (True), or the row a concurrent transaction inserted with the same unique
    key (False). Re-raises when the violation was of another constraint."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        found = existing()
        if found is None:
            raise
        return found, False
    return row, True


def insert_new(session: Session, model: Any, rows: Sequence[dict[str, Any]], *, key: Sequence[str]) -> int:
    """Insert `rows`, skipping those whose unique `key` columns exist already; how many went in."""
    if not rows:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(model).values(list(rows)).on_conflict_do_nothing(index_elements=list(key))
    return len(session.scalars(statement.returning(model.id)).all())
