"""Databases for tests: SQLite files and the real PostgreSQL at 127.0.0.1:5432, both migrated
with Alembic exactly as `deskops db upgrade` does.

- `database_url` (parametrised: sqlite, postgresql) gives an empty, migrated database per test:
  a copy of a migrated SQLite file, or the worker's PostgreSQL database with its tables emptied.
- `db` gives a `Database` whose work is rolled back after the test (one outer transaction,
  every unit of work a savepoint inside it), for service-level tests.

PostgreSQL being down is a failure, never a skip: `make test` starts it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from bot.db import Database
from bot.migrations import upgrade
from bot.models import Base

PG_ADMIN_DSN = os.environ.get("DESKOPS_TEST_PG", "host=127.0.0.1 port=5432 dbname=test user=postgres")
PG_URL_TEMPLATE = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
BACKENDS = ["sqlite", "postgresql"]
RUN_ID_VARIABLE = "DESKOPS_TEST_RUN"


def _worker() -> str:
    """This test process's own database name part: the run (several runs may share the server,
    e.g. a developer's and CI's) and the xdist worker."""
    return f"{os.environ.get(RUN_ID_VARIABLE, 'solo')}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def run_database_name(prefix: str) -> str:
    """A database name of this run and xdist worker alone, for tests that need their own."""
    return f"{prefix}_{_worker()}"


def pytest_configure(config: pytest.Config) -> None:
    # Set once in the controlling process; xdist workers inherit it with the environment.
    os.environ.setdefault(RUN_ID_VARIABLE, uuid.uuid4().hex[:10])


def _admin_connection() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(
            "PostgreSQL at 127.0.0.1:5432 is not reachable (run `make test`, which starts it, or "
            f"`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`): {error}",
            pytrace=False,
        )


def create_postgres_database(name: str, *, migrated: bool = True) -> str:
    """A fresh PostgreSQL database, migrated unless told otherwise; returns its URL."""
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_URL_TEMPLATE.format(name=name)
    if migrated:
        upgrade(url)
    return url


def drop_postgres_database(name: str) -> None:
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_worker_url() -> Iterator[str]:
    name = f"deskops_test_{_worker()}"
    url = create_postgres_database(name)
    yield url
    drop_postgres_database(name)


def empty_postgres(url: str) -> None:
    database = Database(url)
    try:
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        with database.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        database.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "deskops.db"
        shutil.copy(migrated_sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_worker_url")
    empty_postgres(url)
    return url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A database whose changes are rolled back when the test ends."""
    database = Database(database_url)
    connection = database.engine.connect()
    outer = connection.begin()
    database.sessions = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    try:
        yield database
    finally:
        outer.rollback()
        connection.close()
        database.dispose()
