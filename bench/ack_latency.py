"""Ack latency: `/backup add` under 50 concurrent signed requests, against a bare Bolt app.

Four processes, so that nothing shares the GIL of the server being measured: the fake Slack Web
API (bench.fake_slack), the baseline (bench.bare_app: a Bolt app that only acks, on the same
server), the real `deskops serve` on SQLite and on PostgreSQL, and this process as the load
generator. Each round sends one burst of 50 requests to each server in turn (order rotated per
round); after a burst at deskops the bench waits until its listeners have opened all 50 modals,
so follow-up work never spills into the next server's burst. The first round warms up (caches,
connection pools) and is not counted.

Targets, per database: p99 ≤ 1.3 x the bare app's p99, and p99 < 300 ms.
"""

from __future__ import annotations

import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.common import LOOPBACK, BenchResult, median, percentile, say, wait_until
from bench.fake_slack import FakeSlackClient, helpdesk_users
from bench.loadgen import Answer, burst, signed_slash_command
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
from console.transport import SlackSender

NAME = "ack_latency"
CONCURRENCY = 50
ROUNDS = 8  # measured rounds, after one warm-up round
RATIO_TARGET = 1.3
ABSOLUTE_TARGET_MS = 300.0
PG_DATABASE = "deskops_bench_ack"


def _round(server: Server, sender: SlackSender, fake: FakeSlackClient, people: list[str]) -> list[Answer]:
    requests = [
        signed_slash_command(
            sender,
            port=server.port,
            user_id=people[index % len(people)],
            command="/backup",
            text="add",
            response_url=f"http://{LOOPBACK}:{fake.port}/response/{index}",
        )
        for index in range(CONCURRENCY)
    ]
    opens_modals = not server.baseline  # deskops answers /backup add with views.open
    before = fake.calls("views.open") if opens_modals else 0
    answers = burst(server.port, requests)
    if opens_modals:
        # Until the listeners' follow-up work (read customers, build and open the modal) is done.
        wait_until(
            lambda: fake.calls("views.open") >= before + CONCURRENCY,
            timeout=60,
            what=f"{server.name} to open {CONCURRENCY} modals",
            interval=0.05,
        )
    time.sleep(0.3)
    return answers


def run(*, rounds: int = ROUNDS, database: str = PG_DATABASE) -> BenchResult:
    result = BenchResult(NAME)
    workdir = Path(tempfile.mkdtemp(prefix="deskops-bench-ack-"))
    sender = SlackSender(SIGNING_SECRET)
    people = helpdesk_users(CONCURRENCY)
    with ExitStack() as stack:
        fake = stack.enter_context(fake_slack(workdir))
        env = deskops_environment(fake.port, workdir, f"sqlite:///{workdir / 'bare.db'}")
        servers = [stack.enter_context(bare_app(workdir, env))]
        for backend, url in (
            ("sqlite", f"sqlite:///{workdir / 'deskops.db'}"),
            ("postgresql", postgres_url(database)),
        ):
            env = deskops_environment(fake.port, workdir, url)
            log = workdir / f"{backend}.log"
            prepare_database(env, log)
            servers.append(stack.enter_context(deskops_serve(f"deskops serve ({backend})", env, log)))
        say(f"  servers up (logs in {workdir}); {rounds} rounds of {CONCURRENCY} concurrent /backup add")
        for number in range(rounds + 1):
            order = servers[number % len(servers) :] + servers[: number % len(servers)]
            for server in order:
                answers = _round(server, sender, fake, people)
                if number == 0:
                    continue  # warm-up
                server.samples += [a.milliseconds for a in answers]
                server.errors += sum(1 for a in answers if a.status != 200)
    _report(result, servers)
    return result


def _report(result: BenchResult, servers: list[Server]) -> None:
    figures: dict[str, dict[str, float | int]] = {}
    for server in servers:
        figures[server.name] = server.latency()
    bare = servers[0]
    bare_p50, bare_p99 = median(bare.samples), percentile(bare.samples, 99)
    for server in servers[1:]:
        p50, p99 = median(server.samples), percentile(server.samples, 99)
        figures[server.name] |= {
            "p50_ratio": round(p50 / bare_p50, 2),
            "p99_ratio": round(p99 / bare_p99, 2),
        }
        result.check(f"{server.name} p99 / bare p99", p99 / bare_p99, "<=", RATIO_TARGET, "x")
        result.check(f"{server.name} p99", p99, "<", ABSOLUTE_TARGET_MS, " ms")
        result.check(f"{server.name} failed requests", server.errors, "<=", 0)
    result.check(f"{bare.name} failed requests", bare.errors, "<=", 0)
    result.figures = {"concurrency": CONCURRENCY, "servers": figures}
