"""`/backup find` over 100,000 backup users on PostgreSQL: the work of one answer — `find_users`
(any part of a name or e-mail, through backup_users.search_text and migration 0009's pg_trgm GIN
index) and the rendered page of results (summaries and blocks, as commands/backup/find.py
builds them) — timed in this process against a fresh database (tests/support/database.py),
filled inside PostgreSQL (INSERT … SELECT over generate_series).

The data: 400 customers, 100,000 users named from bench/directory_data.py's 200 first and 233
last names (so "smith" matches hundreds, a full e-mail one), 50 of them Zoë Müller (accents).
Texts: common and rare parts of names, e-mail parts, a whole e-mail; each searched across every
customer and within a scope of 40 customers, RUNS times after a warm-up.

Baseline, in the same run on the same data: the same searches with PostgreSQL's index scans off
for the transaction (what it costs without the trigram index); printed as a ratio.

Targets: p99 < 300 ms; the every-customer search reads backup_users through the trigram index.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import text

from bench.common import BenchResult, median, percentile, say

NAME = "user_find"
DATABASE = "deskops_bench_user_find"
USERS = 100_000
CUSTOMERS = 400
RUNS = 10
LIMIT_MS = 300.0
TEXTS = (
    "smith",
    "ann",
    "son",
    "mar",
    "zoe",
    "muller",
    "c17.example",
    "william",
    "jo",
    "mary.smith1@c2.example",
)
SCOPED_CUSTOMERS = 40
NO_INDEXES = ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan")

USERS_SQL = """
INSERT INTO backup_users (customer_id, first_name, last_name, email, email_key, role, status,
    provisioning, created_by, created_at, search_text)
SELECT u.customer, u.first, u.last, u.email, u.email, 'user', 'active', 'done', 'U0BENCH00', now(),
    lower(u.first || ' ' || u.last || ' ' || u.email)
FROM generate_series(1, %(users)s) AS g
CROSS JOIN LATERAL (
    SELECT 1 + g %% %(customers)s AS customer,
        (%(first)s::text[])[1 + g %% cardinality(%(first)s::text[])] AS first,
        (%(last)s::text[])[1 + (g / cardinality(%(first)s::text[])) %% cardinality(%(last)s::text[])] AS last
) AS n
CROSS JOIN LATERAL (
    SELECT n.customer, n.first, n.last,
        lower(n.first) || '.' || lower(n.last) || g || '@c' || n.customer || '.example' AS email
) AS u
"""


def load(dsn: str, *, users: int) -> float:
    from bench.directory_data import FIRST_NAMES, LAST_NAMES
    from bot.folding import fold

    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO customers (name, created_at) "
            "SELECT 'Customer ' || lpad(g::text, 3, '0'), now() FROM generate_series(1, %(n)s) AS g",
            {"n": CUSTOMERS},
        )
        connection.execute(
            USERS_SQL, {"users": users, "customers": CUSTOMERS, "first": FIRST_NAMES, "last": LAST_NAMES}
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO backup_users (customer_id, first_name, last_name, email, email_key, role, status, "
                "provisioning, created_by, created_at, search_text) VALUES (%s, 'Zoë', 'Müller', %s, %s, "
                "'user', 'active', 'done', 'U0BENCH00', now(), %s)",
                [
                    (
                        1 + n % CUSTOMERS,
                        e := f"zoe.muller{n}@c{1 + n % CUSTOMERS}.example",
                        e,
                        fold(f"Zoë Müller {e}"),
                    )
                    for n in range(50)
                ],
            )
        connection.execute("VACUUM (ANALYZE) backup_users")
    return time.perf_counter() - started


def _answer(session: Any, wanted: str, scope: Any) -> int:
    """What commands/backup/find.py's found_page does inside its read: search, summarise, render."""
    from blocks.backup.found import found_users
    from bot.accounts.search import find_users
    from bot.accounts.summary import summarize

    found = find_users(session, wanted, scope, offset=0, limit=10)
    blocks = found_users(
        text=found.text,
        users=[summarize(user) for user in found.users],
        total=found.total,
        offset=found.offset,
        has_more=found.has_more,
    )
    [block.to_dict() for block in blocks]
    return found.total


def _timed(db: Any, work: Callable[[Any], int], *, indexes: bool = True) -> tuple[float, int]:
    with db.sessions() as session, session.begin():
        if not indexes:
            for setting in NO_INDEXES:
                session.execute(text(f"SET LOCAL {setting} = off"))
        started = time.perf_counter()
        total = work(session)
        elapsed = (time.perf_counter() - started) * 1000
        session.rollback()
    return elapsed, total


def _plan(db: Any, wanted: str) -> list[str]:
    pattern = f"%{wanted}%"
    with db.sessions() as session:
        rows = session.execute(
            text("EXPLAIN SELECT count(*) FROM backup_users WHERE search_text LIKE :pattern"),
            {"pattern": pattern},
        ).all()
    return [str(row[0]) for row in rows]


def run(*, users: int = USERS, runs: int = RUNS, database: str = DATABASE) -> BenchResult:
    from bot.customers.scope import EVERY_CUSTOMER, CustomerScope
    from bot.db import Database
    from tests.support.database import create_postgres_database

    result = BenchResult(NAME)
    url = create_postgres_database(database)
    seconds = load(f"host=127.0.0.1 port=5432 dbname={database} user=postgres", users=users)
    say(f"  {users:,} users of {CUSTOMERS} customers generated in {seconds:.0f} s")
    scopes = {
        "every customer": EVERY_CUSTOMER,
        f"{SCOPED_CUSTOMERS} customers": CustomerScope.of(
            f"Customer {n:03d}" for n in range(1, SCOPED_CUSTOMERS + 1)
        ),
    }
    db = Database(url)
    figures: dict[str, Any] = {"users": users, "customers": CUSTOMERS, "texts": list(TEXTS), "runs": runs}
    try:
        samples: list[float] = []
        baseline: list[float] = []
        matches: dict[str, int] = {}
        for scope_name, scope in scopes.items():
            for wanted in TEXTS:
                work = lambda session, wanted=wanted, scope=scope: _answer(session, wanted, scope)  # noqa: E731
                _timed(db, work)  # warm-up
                for _ in range(runs):
                    elapsed, total = _timed(db, work)
                    samples.append(elapsed)
                matches[f"{scope_name}: {wanted}"] = total
                baseline.append(_timed(db, work, indexes=False)[0])
        plan = _plan(db, "smith")
    finally:
        db.dispose()
    p50, p99 = median(samples), percentile(samples, 99)
    base_p50, base_p99 = median(baseline), percentile(baseline, 99)
    figures |= {
        "p50_ms": round(p50, 1),
        "p99_ms": round(p99, 1),
        "max_ms": round(max(samples), 1),
        "baseline_without_indexes_p50_ms": round(base_p50, 1),
        "baseline_without_indexes_p99_ms": round(base_p99, 1),
        "p50_ratio": round(p50 / base_p50, 3),
        "matches": matches,
        "plan": plan,
    }
    say(
        f"  /backup find: p50 {p50:.1f} ms, p99 {p99:.1f} ms over {len(samples)} answers; without the "
        f"trigram index p50 {base_p50:.1f} ms, p99 {base_p99:.1f} ms: {p50 / base_p50:.3g} x"
    )
    say("  plan: " + " | ".join(line.strip() for line in plan))
    result.check("/backup find p99", p99, "<", LIMIT_MS, " ms")
    uses_index = any("ix_backup_users_search_text_trgm" in line for line in plan)
    result.check("every-customer search through the trigram index", int(uses_index), ">=", 1)
    result.figures = figures
    return result


if __name__ == "__main__":
    run()
