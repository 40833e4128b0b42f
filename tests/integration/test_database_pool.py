"""Pooled PostgreSQL connections: one the server has closed is replaced before a unit of work
gets it, without a ping round trip for each unit of work on a connection in use."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

import bot.db
from bot.db import Database
from tests.support.database import create_postgres_database, drop_postgres_database

NAME = "deskops_test_pool"


@pytest.fixture
def db() -> Iterator[Database]:
    database = Database(create_postgres_database(NAME, migrated=False))
    yield database
    database.dispose()
    drop_postgres_database(NAME)


def _backend(db: Database) -> int:
    with db.transaction() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _count_pings(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    pings: list[Any] = []
    real = db.engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return bool(real(dbapi_connection))

    monkeypatch.setattr(db.engine.dialect, "do_ping", counted)
    return pings


def test_a_connection_the_server_closed_is_replaced_before_the_next_unit_of_work(db: Database) -> None:
    dead = _backend(db)
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (dead,))
    time.sleep(0.2)  # the backend's goodbye reaches the pooled connection

    assert _backend(db) != dead  # and no error reached the unit of work


def test_a_connection_in_use_is_not_pinged_and_one_left_idle_is(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = _count_pings(db, monkeypatch)
    first = _backend(db)
    assert _backend(db) == first
    assert pings == []

    monkeypatch.setattr(bot.db, "IDLE_PING_AFTER", 0.0)
    time.sleep(0.01)
    assert _backend(db) == first
    assert len(pings) == 1
