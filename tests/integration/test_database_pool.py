"""Pooled PostgreSQL connections: one the server has closed is replaced before a unit of work
gets it, without a ping round trip for each unit of work on a connection in use."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

import bot.db
from bot.db import Database
from tests.support.database import create_postgres_database, drop_postgres_database, run_database_name


@pytest.fixture
def db() -> Iterator[Database]:
    name = run_database_name("deskops_test_pool")
    database = Database(create_postgres_database(name, migrated=False))
    yield database
    database.dispose()
    drop_postgres_database(name)


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


@pytest.fixture
def many_open_files() -> Iterator[None]:
    """Descriptors held open up to past select()'s FD_SETSIZE (1024), as on a busy server."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.fail(f"the open-files limit ({hard}) is too low for this test")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    yield
    for fd in held:
        os.close(fd)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_live_connection_on_a_high_descriptor_is_kept(db: Database, many_open_files: None) -> None:
    first = _backend(db)
    assert _backend(db) == first
