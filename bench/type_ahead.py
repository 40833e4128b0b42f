"""Type-ahead: options requests of the Customer field of Add New User with 5,000 customers, as
Slack sends them while people type (a signed `block_suggestion` form), answered in the ack.

Processes: the fake Slack Web API, the baseline (bench.bare_app: a Bolt options listener
answering a static list of 100 options, on the same server as `deskops serve`), `deskops serve`
on PostgreSQL with 5,000 customers (named from bench/directory_data.py's last names and common
company words), and this process as the load generator. Each round sends a burst of CONCURRENCY
requests (several people typing at once; the texts rotate through what people type: one letter,
a few, a word, part of a word) to each server in turn, order rotated per round; one warm-up round.
Timed from the first byte of the request to the last byte of the answer (the options).

Target: deskops p99 < 100 ms (Slack waits 3 s); the ratio to the bare listener is printed.
"""

from __future__ import annotations

import json
import tempfile
from contextlib import ExitStack
from pathlib import Path

import psycopg

from bench.common import BenchResult, median, percentile, say
from bench.fake_slack import helpdesk_users
from bench.loadgen import IDENTITY, Answer, burst, signed_interaction
from bench.servers import (
    SIGNING_SECRET,
    Server,
    bare_app,
    deskops_environment,
    deskops_serve,
    fake_slack,
    postgres_url,
    prepare_database,
)
from blocks.backup.ids import ActionId, CallbackId
from console.models import User
from console.suggestions import block_suggestion
from console.transport import SlackSender

NAME = "type_ahead"
CUSTOMERS = 5_000
CONCURRENCY = 5
ROUNDS = 60  # measured, after one warm-up round
ABSOLUTE_TARGET_MS = 100.0
PG_DATABASE = "deskops_bench_type_ahead"
WORDS = ("Holdings", "Dental", "Logistics", "Partners", "Labs", "Group", "Bakery", "Clinic", "Motors",
         "Legal", "Systems", "Foods", "Studio", "Energy", "Travel", "Media", "Farms", "Insurance",
         "Schools", "Hotels", "Pharma", "Builders")  # fmt: skip
TYPED = ("a", "jo", "smi", "dental", "hold", "son hol", "williams l", "ez", "clinic", "rown", "z", "partners")


def customer_names(count: int) -> list[str]:
    from bench.directory_data import LAST_NAMES

    names = [f"{last} {word}" for word in WORDS for last in LAST_NAMES]
    if len(names) < count:
        raise ValueError(f"only {len(names)} distinct customer names")
    return names[:count]


def add_customers(database: str, count: int) -> None:
    from bot.folding import fold

    with psycopg.connect(f"host=127.0.0.1 port=5432 dbname={database} user=postgres", autocommit=True) as db:
        with db.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO customers (name, search_name, created_at) VALUES (%s, %s, now()) "
                "ON CONFLICT (name) DO NOTHING",
                [(name, fold(name)) for name in customer_names(count)],
            )
        db.execute("VACUUM (ANALYZE) customers")


def _view(view_id: str) -> dict[str, object]:
    """Each person's own Add New User modal (the part of it an options request carries)."""
    return {
        "id": view_id,
        "type": "modal",
        "callback_id": CallbackId.ADD_USER,
        "blocks": [],
        "state": {"values": {}},
    }


def _requests(sender: SlackSender, server: Server, people: list[str], number: int) -> list[bytes]:
    return [
        signed_interaction(
            sender,
            port=server.port,
            payload=block_suggestion(
                IDENTITY,
                user=User(id=people[index % len(people)], name="helpdesk"),
                view=_view(f"VBENCH{number:04d}{index:02d}"),
                block_id="customer",
                action_id=ActionId.CUSTOMER_SEARCH,
                value=TYPED[(number * CONCURRENCY + index) % len(TYPED)],
            ),
        )
        for index in range(CONCURRENCY)
    ]


def _answered(answer: Answer) -> bool:
    try:
        return answer.status == 200 and isinstance(json.loads(answer.body)["options"], list)
    except (ValueError, KeyError, TypeError):
        return False


def run(*, rounds: int = ROUNDS, customers: int = CUSTOMERS, database: str = PG_DATABASE) -> BenchResult:
    result = BenchResult(NAME)
    workdir = Path(tempfile.mkdtemp(prefix="deskops-bench-type-ahead-"))
    sender = SlackSender(SIGNING_SECRET)
    people = helpdesk_users(CONCURRENCY)
    offered: list[int] = []
    with ExitStack() as stack:
        fake = stack.enter_context(fake_slack(workdir))
        env = deskops_environment(fake.port, workdir, f"sqlite:///{workdir / 'bare.db'}")
        servers = [stack.enter_context(bare_app(workdir, env))]
        env = deskops_environment(fake.port, workdir, postgres_url(database))
        log = workdir / "postgresql.log"
        prepare_database(env, log)
        add_customers(database, customers)
        servers.append(stack.enter_context(deskops_serve("deskops serve (postgresql)", env, log)))
        say(
            f"  servers up (logs in {workdir}); {customers:,} customers; {rounds} rounds of {CONCURRENCY} options requests"
        )
        for number in range(rounds + 1):
            for server in servers[number % 2 :] + servers[: number % 2]:
                answers = burst(server.port, _requests(sender, server, people, number))
                if number == 0:
                    continue
                server.samples += [a.milliseconds for a in answers]
                server.errors += sum(1 for a in answers if not _answered(a))
                if not server.baseline:
                    offered += [len(json.loads(a.body)["options"]) for a in answers if _answered(a)]
    _report(result, servers, customers, offered)
    return result


def _report(result: BenchResult, servers: list[Server], customers: int, offered: list[int]) -> None:
    figures: dict[str, object] = {"customers": customers, "concurrency": CONCURRENCY, "typed": list(TYPED)}
    bare, deskops = servers
    for server in servers:
        figures[server.name] = server.latency()
    ratio = percentile(deskops.samples, 99) / percentile(bare.samples, 99)
    figures["p99_ratio"] = round(ratio, 2)
    figures["options_offered_median"] = median([float(n) for n in offered]) if offered else 0
    say(
        f"  deskops p99 / bare listener p99: {ratio:.2f} x; median options offered {figures['options_offered_median']:g}"
    )
    result.check(f"{deskops.name} p99", percentile(deskops.samples, 99), "<", ABSOLUTE_TARGET_MS, " ms")
    result.check(f"{deskops.name} failed requests", deskops.errors, "<=", 0)
    result.check(f"{bare.name} failed requests", bare.errors, "<=", 0)
    result.figures = figures
