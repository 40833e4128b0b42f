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

import json
import os
import subprocess
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    LOOPBACK,
    PROJECT_ROOT,
    PYTHON,
    BenchResult,
    child_process,
    free_port,
    median,
    percentile,
    say,
    venv_tool,
    wait_until,
)
from bench.fake_slack import HELPDESK_GROUP, helpdesk_users
from bench.loadgen import Answer, burst, signed_slash_command
from console.transport import SlackSender

NAME = "ack_latency"
SIGNING_SECRET = "bench-signing-secret-8f2a"
CONCURRENCY = 50
ROUNDS = 8  # measured rounds, after one warm-up round
RATIO_TARGET = 1.3
ABSOLUTE_TARGET_MS = 300.0
PG_DATABASE = "deskops_bench_ack"


@dataclass
class Server:
    name: str
    port: int
    opens_modals: bool  # deskops answers /backup add with views.open after the ack
    samples: list[float]
    errors: int = 0


def _fake_slack_calls(port: int, method: str) -> int:
    with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/_stats", timeout=5) as answer:
        return int(json.loads(answer.read()).get(method, 0))


def _environment(fake_port: int, workdir: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "SLACK_API_URL": f"http://{LOOPBACK}:{fake_port}/api/",
        "SLACK_BOT_TOKEN": "xoxb-bench-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "HELPDESK_USERS": HELPDESK_GROUP,
        "DATABASE_URL": database_url,
        "SMTP_URL": str(workdir / "outbox"),
        "SECRET_KEY": "bench-secret-key-for-link-tokens-0123456789",
        "SECRET_KEY_FILE": str(workdir / "deskops.secret"),
        "PUBLIC_URL": f"http://{LOOPBACK}:3000",
    }


def _prepare_database(env: dict[str, str], log: Path) -> None:
    deskops = venv_tool("deskops")
    for args in (
        [deskops, "db", "upgrade"],
        [deskops, "customers", "import", "--if-empty", str(PROJECT_ROOT / "bot/sample/customers.yaml")],
    ):
        with log.open("ab") as output:
            subprocess.run(args, env=env, stdout=output, stderr=subprocess.STDOUT, check=True, timeout=120)


def _postgres_url() -> str:
    from tests.support.database import create_postgres_database

    return create_postgres_database(PG_DATABASE)


def _round(server: Server, sender: SlackSender, fake_port: int, people: list[str]) -> list[Answer]:
    requests = [
        signed_slash_command(
            sender,
            port=server.port,
            user_id=people[index % len(people)],
            command="/backup",
            text="add",
            response_url=f"http://{LOOPBACK}:{fake_port}/response/{index}",
        )
        for index in range(CONCURRENCY)
    ]
    before = _fake_slack_calls(fake_port, "views.open") if server.opens_modals else 0
    answers = burst(server.port, requests)
    if server.opens_modals:
        # Until the listeners' follow-up work (read customers, build and open the modal) is done.
        wait_until(
            lambda: _fake_slack_calls(fake_port, "views.open") >= before + CONCURRENCY,
            timeout=60,
            what=f"{server.name} to open {CONCURRENCY} modals",
            interval=0.05,
        )
    time.sleep(0.3)
    return answers


def run(*, rounds: int = ROUNDS) -> BenchResult:
    result = BenchResult(NAME)
    workdir = Path(tempfile.mkdtemp(prefix="deskops-bench-ack-"))
    fake_port = free_port()
    sender = SlackSender(SIGNING_SECRET)
    people = helpdesk_users(CONCURRENCY)
    with ExitStack() as stack:
        stack.enter_context(
            child_process(
                [PYTHON, "-m", "bench.fake_slack", str(fake_port)],
                log=workdir / "fake_slack.log",
                ready_port=fake_port,
            )
        )
        servers: list[Server] = []
        bare = Server("bare Bolt app", free_port(), opens_modals=False, samples=[])
        env = _environment(fake_port, workdir, f"sqlite:///{workdir / 'bare.db'}")
        stack.enter_context(
            child_process(
                [PYTHON, "-m", "bench.bare_app", str(bare.port)],
                log=workdir / "bare.log",
                env=env,
                ready_port=bare.port,
            )
        )
        servers.append(bare)
        for backend, url in (
            ("sqlite", f"sqlite:///{workdir / 'deskops.db'}"),
            ("postgresql", _postgres_url()),
        ):
            server = Server(f"deskops serve ({backend})", free_port(), opens_modals=True, samples=[])
            env = _environment(fake_port, workdir, url)
            _prepare_database(env, workdir / f"{backend}.log")
            stack.enter_context(
                child_process(
                    [venv_tool("deskops"), "serve", "--host", LOOPBACK, "--port", str(server.port)],
                    log=workdir / f"{backend}.log",
                    env=env,
                    ready_port=server.port,
                )
            )
            servers.append(server)
        say(f"  servers up (logs in {workdir}); {rounds} rounds of {CONCURRENCY} concurrent /backup add")
        for number in range(rounds + 1):
            order = servers[number % len(servers) :] + servers[: number % len(servers)]
            for server in order:
                answers = _round(server, sender, fake_port, people)
                if number == 0:
                    continue  # warm-up
                server.samples += [a.milliseconds for a in answers]
                server.errors += sum(1 for a in answers if a.status != 200)
    _report(result, servers)
    return result


def _report(result: BenchResult, servers: list[Server]) -> None:
    figures: dict[str, dict[str, float | int]] = {}
    for server in servers:
        figures[server.name] = {
            "requests": len(server.samples),
            "errors": server.errors,
            "p50_ms": round(median(server.samples), 1),
            "p99_ms": round(percentile(server.samples, 99), 1),
            "max_ms": round(max(server.samples), 1),
        }
        say(
            f"  {server.name:28} p50 {median(server.samples):7.1f} ms   p99 "
            f"{percentile(server.samples, 99):7.1f} ms   max {max(server.samples):7.1f} ms   "
            f"errors {server.errors}"
        )
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
