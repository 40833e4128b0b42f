"""The benchmarks added for what users wait for, each run end to end at a tiny size so that they
cannot rot between the runs of `make bench`. Timings are never asserted here (the benchmarks
print them against a baseline of the same run): only that each measured what it says, with no
failed request, and that its results chart."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bench import app_home, charts, invite_search, submission_ack, type_ahead, user_find
from bench.common import BenchResult
from tests.support.database import PG_URL_TEMPLATE, drop_postgres_database
from tests.support.slapd import require_slapd

# Each starts several processes (deskops serve, the fakes, slapd): minutes on a busy machine.
pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def database_names() -> Iterator[list[str]]:
    """Fresh PostgreSQL database names, dropped afterwards (a bench creates what it is given)."""
    names = [f"deskops_bench_smoke_{uuid.uuid4().hex[:10]}" for _ in range(3)]
    yield names
    for name in names:
        drop_postgres_database(name)


def _charts(result: BenchResult, folder: Path) -> str:
    result.write(folder / "results")
    charts.main(["--results", str(folder / "results"), "--out", str(folder / "charts")])
    return (folder / "charts" / f"{result.name}.svg").read_text(encoding="utf-8")


def _target(result: BenchResult, name: str) -> float:
    return next(t.value for t in result.targets if t.name == name)


def test_submission_ack_submits_both_steps_to_every_server(database_names: list[str], tmp_path: Path) -> None:
    result = submission_ack.run(
        rounds=1, concurrency=3, databases=(database_names[0], database_names[1], database_names[2])
    )
    servers = result.figures["servers"]
    assert set(servers) == {
        "bare Bolt app",
        "deskops serve (postgresql)",
        "deskops serve (postgresql, Acronis 100 ms)",
        "bare Bolt app writing (floor)",
    }
    # One measured round of 3 people, two submissions each; every one answered as expected.
    assert all(figures["requests"] == 6 and figures["errors"] == 0 for figures in servers.values())
    assert _target(result, "deskops serve (postgresql) p99") > 0
    assert servers["deskops serve (postgresql)"]["p99_ratio_to_floor"] > 0
    # The floor recorded each user it was sent (the warm-up round's too) with its follow-up.
    engine = create_engine(PG_URL_TEMPLATE.format(name=database_names[2]))
    with engine.connect() as floor:
        assert floor.execute(text("SELECT count(*) FROM floor_users")).scalar_one() == 2 * 3
        assert floor.execute(text("SELECT count(*) FROM floor_outbox")).scalar_one() == 2 * 3
    engine.dispose()
    assert "<svg" in _charts(result, tmp_path)


def test_invite_search_times_both_modes_against_ldap3_and_the_bare_app(
    database_names: list[str], tmp_path: Path
) -> None:
    require_slapd()
    result = invite_search.run(people=300, rounds=1, database=database_names[0])
    for mode in ("begins_with", "contains"):
        figures = result.figures[mode]
        assert figures["searches"] == len(invite_search.TEXTS[invite_search.MatchMode(mode)])
        assert figures["deskops_p95_ms"] > 0 and figures["baseline_p95_ms"] > 0
        # The bare Bolt app answered the same clicks with its own search: the floor was timed.
        assert figures["floor_p95_ms"] > 0 and figures["p95_ratio_to_floor"] > 0
    assert "begins_with: deskops p95" in _charts(result, tmp_path)


def test_app_home_publishes_for_a_person_with_pending_items(
    database_names: list[str], tmp_path: Path
) -> None:
    result = app_home.run(items=20, events=3, database=database_names[0])
    assert result.figures["items_of_each_kind"] == 20
    assert result.figures["deskops serve (postgresql)"]["events"] == 3
    assert result.figures["bare Bolt app"]["events"] == 3
    assert result.figures["view_bytes"] > 1000  # the lists were rendered, not an empty Home
    assert "app_home" in _charts(result, tmp_path)


def test_type_ahead_answers_options_requests_on_both_servers(
    database_names: list[str], tmp_path: Path
) -> None:
    result = type_ahead.run(rounds=1, customers=300, database=database_names[0])
    for server in ("bare Bolt app", "deskops serve (postgresql)"):
        figures = result.figures[server]
        assert figures["requests"] == type_ahead.CONCURRENCY and figures["errors"] == 0
    assert result.figures["options_offered_median"] > 0  # deskops offered customers, not nothing
    assert result.figures["p99_ratio"] > 0
    assert "type_ahead" in _charts(result, tmp_path)


def test_user_find_searches_every_text_in_both_scopes(database_names: list[str], tmp_path: Path) -> None:
    result = user_find.run(users=2_000, runs=1, database=database_names[0])
    assert len(result.figures["matches"]) == 2 * len(user_find.TEXTS)
    assert result.figures["matches"]["every customer: mary.smith1@c2.example"] == 1
    assert result.figures["matches"]["every customer: zoe"] == 50  # accents folded: Zoë
    assert result.figures["p99_ms"] > 0 and result.figures["baseline_without_indexes_p99_ms"] > 0
    assert "user_find" in _charts(result, tmp_path)
