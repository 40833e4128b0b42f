"""A unit of work that is not durable commits like any other; on PostgreSQL only its wait for
the WAL flush is left out, for that transaction alone."""

from __future__ import annotations

from sqlalchemy import text

from bot.clock import utcnow
from bot.db import Database
from bot.request_keys import claim_many


def _setting(db: Database) -> str:
    with db.transaction() as session:
        return str(session.execute(text("SHOW synchronous_commit")).scalar_one())


def test_a_write_that_is_not_durable_is_committed(database_url: str) -> None:
    db = Database(database_url)
    now = utcnow()
    with db.write(durable=False) as connection:
        assert claim_many(connection, ["trigger:1"], now=now) == {"trigger:1"}
    with db.write() as connection:
        assert claim_many(connection, ["trigger:1"], now=now) == set()
    db.dispose()


def test_only_that_transaction_skips_the_wal_flush(postgres_worker_url: str) -> None:
    db = Database(postgres_worker_url)
    with db.transaction(durable=False) as session:
        assert session.execute(text("SHOW synchronous_commit")).scalar_one() == "off"
    assert _setting(db) == "on"
    db.dispose()
