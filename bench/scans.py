"""Scans: the daily digest and the reminder job over 500,000 invitations and 50,000 users in
PostgreSQL (a fresh database from tests/support/database.py, filled by bench/scan_data.py).

Each is run as the scheduler runs it - `collect_digest` for the last day, and the reminder job
(expire what ran out, then queue reminders) - in a transaction that is rolled back, so every run
sees the same data, once to warm up and then `RUNS` times; the figure is the median. The reminder
job runs every few minutes, so it is timed in its steady state: its first run, which queues a
reminder for everything already due (reported, not a target), is committed before. Every
statement they sent is then run again under EXPLAIN (ANALYZE, BUFFERS): the bench prints each
plan's scan nodes and fails if one is a sequential scan of a big table.

Baseline, measured in the same run on the same data: the same work with PostgreSQL's index scans
switched off for the transaction (`enable_indexscan`, `enable_indexonlyscan`,
`enable_bitmapscan` off), i.e. what it costs without the indexes deskops' migrations create;
the figure is printed as a ratio to it. That run is cut at BASELINE_CAP_SECONDS (the reminder job
without indexes takes 16 s on a quiet machine, minutes on a busy one), the cap then printed as a
lower bound.

Targets: each < 0.5 s, and no Seq Scan on a table that grows with use: invitations,
backup_users, devices (the licence total reads the device tally instead).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, text

from bench.common import BenchResult, median, say

NAME = "scans"
DATABASE = "deskops_bench_scans"
RUNS = 5
LIMIT_SECONDS = 0.5
BIG_TABLES = ("invitations", "backup_users", "devices", "device_owners", "activation_tokens", "outbox")
_SCAN = re.compile(
    r"(Seq Scan|Index Only Scan(?: Backward)?|Index Scan(?: Backward)?|Bitmap Index Scan|Bitmap Heap Scan)"
    r"(?: using (\S+))? on (\S+)"
)


@contextmanager
def _recording(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        if not executemany and statement.lstrip().upper().startswith(("SELECT", "UPDATE", "WITH")):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


NO_INDEXES = ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan")
BASELINE_CAP_SECONDS = 20.0


def _time(db: Any, work: Callable[[Any], object], runs: int) -> list[float]:
    seconds = []
    for number in range(runs + 1):
        with db.sessions() as session, session.begin():
            started = time.perf_counter()
            work(session)
            elapsed = time.perf_counter() - started
            session.rollback()
        if number:
            seconds.append(elapsed)
    return seconds


def _time_without_indexes(db: Any, work: Callable[[Any], object]) -> tuple[float, bool]:
    """One run with index scans off, cut at BASELINE_CAP_SECONDS (on a busy machine the reminder
    job takes minutes without indexes); (seconds, whether it was cut: then a lower bound)."""
    from sqlalchemy.exc import OperationalError

    with db.sessions() as session, session.begin():
        for setting in NO_INDEXES:
            session.execute(text(f"SET LOCAL {setting} = off"))
        session.execute(text(f"SET LOCAL statement_timeout = {int(BASELINE_CAP_SECONDS * 1000)}"))
        started = time.perf_counter()
        try:
            work(session)
        except OperationalError:  # canceled by statement_timeout
            session.rollback()
            return BASELINE_CAP_SECONDS, True
        elapsed = time.perf_counter() - started
        session.rollback()
    return elapsed, False


def _plans(db: Any, statements: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    plans = []
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            lines = [str(row[0]) for row in cursor.fetchall()]
            raw.rollback()
            scans = [m.group(0) for line in lines if (m := _SCAN.search(line))]
            took = next((line for line in lines if line.startswith("Execution Time")), "")
            plans.append({"statement": " ".join(statement.split())[:160], "scans": scans, "execution": took})
    finally:
        raw.close()
    return plans


def run(
    *, runs: int = RUNS, invitations: int | None = None, users: int | None = None, database: str = DATABASE
) -> BenchResult:
    from bench.scan_data import INVITATIONS, USERS, load
    from bot.config import load_settings
    from bot.db import Database
    from bot.digest.schedule import digest_period
    from bot.digest.service import collect_digest
    from bot.scheduler.jobs import reminders_work
    from tests.support.database import create_postgres_database

    result = BenchResult(NAME)
    invitations = invitations or INVITATIONS
    users = users or USERS
    url = create_postgres_database(database)
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.monotonic()
    loaded = load(
        f"host=127.0.0.1 port=5432 dbname={database} user=postgres", now, invitations=invitations, users=users
    )
    say(
        f"  {invitations:,} invitations, {users:,} users generated in {time.monotonic() - started:.0f} s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in loaded.items())})"
    )
    settings = load_settings(
        database_url=url, helpdesk_channel="C0BENCH1", digest_channel="C0BENCH2", _env_file=None
    )
    db = Database(url)
    day = (now - timedelta(days=1)).date() if now.time() < settings.digest_time else now.date()
    start, end = digest_period(day, settings.digest_time, settings.zone)
    window = timedelta(hours=settings.reminder_expiry_window_hours)

    def digest(session: Any) -> object:
        return collect_digest(
            session,
            day=day,
            start=start,
            end=end,
            expiring_window=window,
            per_licence=settings.devices_per_licence,
            timezone=settings.timezone,
        )

    reminders = reminders_work(settings)
    scans: dict[str, Callable[[Any], object]] = {"digest": digest, "reminders": lambda s: reminders(s, now)}
    figures: dict[str, Any] = {"invitations": invitations, "users": users, "generation_seconds": loaded}
    try:
        with db.sessions() as session, session.begin():
            began = time.perf_counter()
            figures["reminders_first_run"] = {"outcome": reminders(session, now)}
            figures["reminders_first_run"]["seconds"] = round(time.perf_counter() - began, 3)
        say(f"  first reminder run: {figures['reminders_first_run']}")
        for name, work in scans.items():
            seconds = _time(db, work, runs)
            baseline_seconds, cut = _time_without_indexes(db, work)  # slow by design: one run
            baseline = [baseline_seconds]
            with _recording(db.engine) as statements, db.sessions() as session, session.begin():
                work(session)
                session.rollback()
            plans = _plans(db, statements)
            ratio = median(seconds) / median(baseline)
            figures[name] = {
                "median_seconds": round(median(seconds), 4),
                "runs": [round(s, 4) for s in seconds],
                "baseline_without_indexes_seconds": round(median(baseline), 4),
                "baseline_cut_at_cap": cut,
                "ratio": round(ratio, 3),
                "plans": plans,
            }
            say(
                f"  {name}: median {median(seconds) * 1000:.0f} ms over {runs} runs, without indexes "
                f"{'over ' if cut else ''}{median(baseline) * 1000:.0f} ms: {'under ' if cut else ''}{ratio:.3g} x; "
                f"{len(plans)} statements:"
            )
            for plan in plans:
                say(f"    {plan['statement'][:100]}")
                say(f"      {'; '.join(plan['scans']) or 'no scan'}  ({plan['execution']})")
            result.check(f"{name} scan", median(seconds), "<", LIMIT_SECONDS, " s")
            sequential = [
                s
                for plan in plans
                for s in plan["scans"]
                if s.startswith("Seq Scan") and s.split()[-1] in BIG_TABLES
            ]
            result.check(f"{name}: sequential scans of {' or '.join(BIG_TABLES)}", len(sequential), "<=", 0)
    finally:
        db.dispose()
    result.figures = figures
    return result
