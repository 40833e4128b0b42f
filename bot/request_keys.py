"""Request keys: the one record of "this was done once" — a Slack request and its retries, a
submitted modal that changes settings, an extension of an invitation. The first caller to claim
a key inserts it; every later claim of the same key finds it and is told it is a repeat. The
database decides (INSERT … ON CONFLICT DO NOTHING), so it holds across threads, restarts and
replicas."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import (
    CTE,
    BindParameter,
    ColumnElement,
    Connection,
    String,
    Table,
    delete,
    func,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.dml import Insert

from bot.db import Base


class RequestKey(Base):
    """A key claimed once. The table keeps the name it was created with, so that existing
    databases need no migration."""

    __tablename__ = "processed_slack_requests"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(index=True)


class AlreadyClaimed(Exception):
    """The request this unit of work was to do once was done before (a retry of it)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def claim_or_stop(session: Session, key: str | None, *, now: datetime) -> None:
    """Claims `key` in the caller's transaction (None: nothing to claim); AlreadyClaimed when it
    was claimed before, which rolls the transaction back with everything it did."""
    if key is not None and not claim(session, key, now=now):
        raise AlreadyClaimed(key)


def claim(session: Session, key: str, *, now: datetime) -> bool:
    """True the first time a key is seen, False for a repeat."""
    statement = _INSERT_KEYS[session.get_bind().dialect.name]
    # A row comes back only when this call inserted it (rowcount is not reliable here).
    return session.execute(statement, {"key": key, "created_at": now}).first() is not None


def _insert_keys(dialect: str) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING RETURNING key, built once per dialect (so it is compiled
    and keyed once, not at every claim): executed with many rows, SQLAlchemy sends it as one
    multi-row statement."""
    table = cast(Table, RequestKey.__table__)
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing().returning(table.c.key)


_INSERT_KEYS = {dialect: _insert_keys(dialect) for dialect in ("postgresql", "sqlite")}


def claim_cte(key: BindParameter[str], now: BindParameter[datetime], *, when: ColumnElement[bool]) -> CTE:
    """PostgreSQL: a claim of `key` made by the statement that selects from this CTE (one row,
    with the key, when this statement inserted it; none for a repeat, or when `when` is false),
    and committed without waiting for the disk (as Database.write(durable=False)) when that
    statement is a transaction of its own (Database.statements)."""
    table = cast(Table, RequestKey.__table__)
    # Volatile: evaluated once, before the insert reads its one row from it.
    lazy = select(func.set_config("synchronous_commit", "off", true()).label("lazy")).cte("lazy_commit")
    row = select(key, now).select_from(lazy).where(when)
    insert = pg_insert(table).from_select(["key", "created_at"], row).on_conflict_do_nothing()
    return insert.returning(table.c.key).cte("claimed")


def claim_many(connection: Connection, keys: Iterable[str], *, now: datetime) -> set[str]:
    """The keys seen for the first time (inserted by this call); the others are repeats."""
    unique = list(dict.fromkeys(keys))
    if not unique:
        return set()
    statement = _INSERT_KEYS[connection.dialect.name]
    return set(connection.execute(statement, [{"key": key, "created_at": now} for key in unique]).scalars())


def forget_older_than(session: Session, *, now: datetime, age: timedelta = timedelta(days=2)) -> int:
    result = session.execute(delete(RequestKey).where(RequestKey.created_at < now - age))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
