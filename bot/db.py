"""Database engine, typed ORM base and units of work (SQLAlchemy 2).

The schema is owned by Alembic (`alembic/`); nothing here creates tables.
"""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator

# Set while a read-only unit of work begins its transaction (see Database.read).
_read_only: ContextVar[bool] = ContextVar("deskops_read_only", default=False)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL still never corrupts the database and survives a crash of the process;
        # only a power loss may forget the last commits. FULL costs an fsync per commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # pysqlite's own transaction handling defers BEGIN; take control so that a
        # unit of work is one real transaction (and writers serialise on BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front (no upgrade deadlocks); read-only units of work
        # (Database.read) begin deferred and never wait for writers, thanks to WAL.
        conn.exec_driver_sql("BEGIN" if _read_only.get() else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            poolclass=StaticPool if memory else None,
            hide_parameters=True,
        )
        _configure_sqlite(engine)
        return engine
    # hide_parameters: an error's message (and its logged traceback) shows the SQL without the
    # values bound to it, which are names, e-mail addresses and token hashes.
    engine = create_engine(url, pool_size=10, max_overflow=20, hide_parameters=True)
    _check_on_checkout(engine)
    return engine


# The commit of this transaction returns before its WAL is on disk (see Database.transaction).
LAZY_COMMIT = "SET LOCAL synchronous_commit TO OFF"
# A pooled connection idle for longer than this is pinged before use (see _check_on_checkout).
IDLE_PING_AFTER = 30.0


def _server_has_spoken(dbapi_connection: Any) -> bool:
    """Whether the server sent anything to a connection that is idle between units of work: only
    its goodbye can come then (PostgreSQL's FATAL message before it closes the connection on a
    restart or a terminated backend, or the end of the stream)."""
    # poll, not select: select refuses descriptors above FD_SETSIZE (1024), which a busy server
    # with many sockets open reaches, and every checkout would then count as a dead connection.
    poller = select.poll()
    try:
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def _check_on_checkout(engine: Engine) -> None:
    """A pooled PostgreSQL connection is checked before each unit of work takes it, without the
    round trip of `pool_pre_ping` for the common case: a connection used in the last
    IDLE_PING_AFTER seconds is replaced only if the server has closed it (a restart, a terminated
    backend: the socket is readable); one idle for longer is pinged (a firewall may have dropped
    it silently). A connection found dead is replaced by a fresh one before the unit of work
    sees it. The ping cost a round trip per unit of work, 3-4 for a Search click."""

    @event.listens_for(engine, "connect")
    def _connected(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle = time.monotonic() - record.info.get("idle_since", 0.0)
        if _server_has_spoken(dbapi_connection):
            raise DisconnectionError("the server closed this pooled connection")
        if idle > IDLE_PING_AFTER and not _answers_ping(engine, dbapi_connection):
            raise DisconnectionError("this pooled connection did not answer a ping")


def _answers_ping(engine: Engine, dbapi_connection: Any) -> bool:
    try:
        return bool(engine.dialect.do_ping(dbapi_connection))
    except Exception:
        return False


# Writes one statement with its parameters, committed at once (see Database.records).
Record = Callable[[Executable, dict[str, Any]], None]


class _Prepared:
    """A statement compiled for the driver once, with what turns values into its parameters."""

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        self.statement = statement
        self.compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        binds = self.compiled.binds
        if any(bind.expanding for bind in binds.values()):
            raise ValueError("a record cannot have expanding parameters")
        self.sql: str = self.compiled.string
        self.processors = {name: bind.type.bind_processor(dialect) for name, bind in binds.items()}
        self.positions: list[str] | None = self.compiled.positiontup

    def parameters(self, values: dict[str, Any]) -> Any:
        """The driver's parameters: processed as SQLAlchemy would, positional or by name."""
        given = self.compiled.construct_params(values)
        processed = {
            name: (process(value) if (process := self.processors.get(name)) is not None else value)
            for name, value in given.items()
        }
        if self.positions is not None:
            return tuple(processed[name] for name in self.positions)
        return processed


class Database:
    """Engine plus session factory. `transaction()` is the unit of work that changes state;
    `read()` is one that only reads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time. Its own busy handler retries with sleeps and lets a
        # waiter starve under load; queueing this process's writers on a lock hands the write
        # lock over at once. (One process per SQLite file is the supported set-up.)
        self._writer = threading.RLock() if self.engine.dialect.name == "sqlite" else None

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Session]:
        """One transaction: commits when the block ends, rolls back if it raises.

        `durable=False`, for state whose loss would only make a person or deskops do something
        again: on PostgreSQL the commit does not wait for its WAL to reach the disk (that wait,
        an fsync, is most of a short write's time on a busy disk). Only a crash of the database
        server within a fraction of a second can lose it, never one of deskops; and any later
        durable commit writes it to disk too, the WAL being written in order."""
        with self._writer or nullcontext(), self.sessions() as session, session.begin():
            if not durable and self.is_postgresql:
                session.execute(text(LAZY_COMMIT))
            yield session

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[Connection]:
        """A transaction on a Core connection, for a few statements where an ORM session would
        cost more than the work (e.g. claiming Slack request keys while a request waits);
        `durable` as for transaction()."""
        with self._writer or nullcontext(), self.engine.begin() as connection:
            if not durable and self.is_postgresql:
                connection.exec_driver_sql(LAZY_COMMIT)
            yield connection

    @contextmanager
    def statements(self) -> Iterator[Connection]:
        """A Core connection on which each statement is a transaction of its own (autocommit): one
        round trip for a statement that does all its work at once, with no BEGIN or COMMIT
        around it. For PostgreSQL (on SQLite, use write() or read())."""
        with self.engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")

    @contextmanager
    def records(self) -> Iterator[Record]:
        """For a run of small records written one at a time, each committed at once (e.g. "this
        e-mail was sent"). Each statement is compiled once and written through the driver, a
        statement of its own in autocommit: SQLAlchemy's execution around it costs more than the
        write. PostgreSQL: not waiting for the WAL flush (a database crash may lose the last ones:
        only for records whose loss repeats work, never loses it). SQLite: under the process's
        write lock. Statements with expanding parameters (IN lists) are not accepted."""
        prepared: dict[int, _Prepared] = {}
        with self.engine.connect() as connection:
            # SQLite's driver connections are in autocommit already (see _configure_sqlite).
            quick = (
                connection.execution_options(isolation_level="AUTOCOMMIT")
                if self.is_postgresql
                else connection
            )
            if self.is_postgresql:
                quick.exec_driver_sql("SET synchronous_commit TO OFF")
            cursor = quick.connection.driver_connection.cursor()  # type: ignore[union-attr]

            def write_one(statement: Executable, parameters: dict[str, Any]) -> None:
                known = prepared.get(id(statement))
                if known is None or known.statement is not statement:
                    known = prepared[id(statement)] = _Prepared(statement, self.engine.dialect)
                with self._writer or nullcontext():
                    cursor.execute(known.sql, known.parameters(parameters))

            try:
                yield write_one
            finally:
                cursor.close()
                if self.is_postgresql:
                    with suppress(DBAPIError):
                        quick.exec_driver_sql("RESET synchronous_commit")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work: on SQLite it never waits for writers (WAL), nor they for it."""
        with self.sessions() as session:
            token = _read_only.set(True)
            try:
                session.connection()  # begins now, while the flag is set
            finally:
                _read_only.reset(token)
            try:
                yield session
            finally:
                session.rollback()

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def database_unavailable(error: BaseException | None) -> bool:
    """The database refused or dropped the connection (also when wrapped, e.g. by ClaimFailed)."""
    for _ in range(5):
        if error is None:
            return False
        if isinstance(error, OperationalError) or (
            isinstance(error, DBAPIError) and error.connection_invalidated
        ):
            return True
        error = error.__cause__ or error.__context__
    return False
