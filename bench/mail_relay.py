"""Mail at a relay that limits its senders: a 2,000-e-mail batch sent by two replicas (two
processes) on PostgreSQL to a relay that allows 2,400 messages a minute over a sliding 10-second
window and 3 connections at once, answering as Exchange Online does when a limit is exceeded
(bench.relay_sink; Exchange's own 30 a minute and 3 connections, scaled up in rate so a run takes
seconds).

- At the limits: deskops configured to the same limits (SMTP_RATE_PER_MINUTE=2400,
  SMTP_MAX_CONNECTIONS=3, OUTBOX_THREADS=2 on each replica: four threads for three connections).
  Targets: no throttle reply and no refused connection, every message once, and throughput
  (messages after the first, over the time from the first to the last accepted) at least 0.95 x
  the allowed rate.
- Above the limits: deskops without a rate and allowed 4 connections. Targets: every message
  delivered exactly once, the relay's answers were met (throttle replies > 0) and the batch card
  said sending paused (cards posted or updated with "Sending paused", counted by the fake Slack).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.common import (
    LOOPBACK,
    PYTHON,
    BenchResult,
    accepts,
    child_process,
    free_port,
    say,
    stop_process,
    wait_until,
)
from bench.fake_slack import PAUSED_CARD_COUNT

NAME = "mail_relay"
COUNT = 2_000
RATE_PER_MINUTE = 2_400
WINDOW_SECONDS = 10.0
CONNECTIONS = 3
RATE_TARGET = 0.95
PG_DATABASE = "deskops_bench_mail_relay"


class RelaySink:
    def __init__(self, port: int, log: Path) -> None:
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "bench.relay_sink",
                str(port),
                str(RATE_PER_MINUTE),
                str(WINDOW_SECONDS),
                str(CONNECTIONS),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )

    def ask(self, command: str) -> str:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def stats(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.ask("stats"))
        return loaded

    def stop(self) -> None:
        stop_process(self.process)  # type: ignore[arg-type]
        self._log.close()


def _replicas(
    workdir: Path, name: str, smtp_port: int, slack_api: str, *, rate: int, connections: int
) -> list[dict[str, Any]]:
    from tests.support.database import create_postgres_database

    url = create_postgres_database(PG_DATABASE)
    args = [str(COUNT), str(smtp_port), url, slack_api, str(rate), str(connections)]
    with (workdir / f"{name}.log").open("ab") as log:
        processes = [
            subprocess.Popen(
                [PYTHON, "-m", "bench.relay_run", mode, *args], stdout=subprocess.PIPE, stderr=log, text=True
            )
            for mode in ("worker", "send")
        ]
        outputs = [process.communicate(timeout=600)[0] for process in processes]
    if any(process.returncode != 0 for process in processes):
        raise RuntimeError(f"a replica failed in the {name} run: see {workdir / f'{name}.log'}")
    return [json.loads(output.strip().splitlines()[-1]) for output in outputs]


def _slack_stats(slack_port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://{LOOPBACK}:{slack_port}/_stats", timeout=10) as answer:
        loaded: dict[str, int] = json.loads(answer.read())
    return loaded


def run() -> BenchResult:
    result = BenchResult(NAME)
    workdir = Path(tempfile.mkdtemp(prefix="deskops-bench-mail-relay-"))
    smtp_port, slack_port = free_port(), free_port()
    slack_api = f"http://{LOOPBACK}:{slack_port}/api/"
    figures: dict[str, Any] = {
        "e-mails": COUNT,
        "relay": f"{RATE_PER_MINUTE}/min over {WINDOW_SECONDS:g} s, {CONNECTIONS} connections",
    }
    with ExitStack() as stack:
        stack.enter_context(
            child_process(
                [PYTHON, "-m", "bench.fake_slack", str(slack_port)],
                log=workdir / "fake_slack.log",
                ready_port=slack_port,
            )
        )
        sink = RelaySink(smtp_port, workdir / "sink.log")
        stack.callback(sink.stop)
        wait_until(
            lambda: sink.process.poll() is None and accepts(smtp_port), timeout=30, what="the relay sink"
        )
        say(f"  {COUNT:,} e-mails, two replicas on PostgreSQL, relay {figures['relay']} (logs in {workdir})")

        _replicas(workdir, "at_limits", smtp_port, slack_api, rate=RATE_PER_MINUTE, connections=CONNECTIONS)
        paced = sink.stats()
        span = paced["last"] - paced["first"]
        rate = (paced["accepted"] - 1) / span * 60 if span > 0 else 0.0
        say(
            f"    at the limits:    {paced['accepted']:,} accepted ({paced['distinct']:,} distinct) in {span:.1f} s = "
            f"{rate:,.0f}/min, {paced['throttled']} throttle replies, {paced['refused_connections']} refused "
            f"connections, at most {paced['most_connections']} connections"
        )
        sink.ask("reset")
        before = _slack_stats(slack_port).get(PAUSED_CARD_COUNT, 0)
        _replicas(workdir, "above_limits", smtp_port, slack_api, rate=0, connections=CONNECTIONS + 1)
        pushed = sink.stats()
        paused_cards = _slack_stats(slack_port).get(PAUSED_CARD_COUNT, 0) - before
        pushed_span = pushed["last"] - pushed["first"]
        say(
            f"    above the limits: {pushed['accepted']:,} accepted ({pushed['distinct']:,} distinct) in "
            f"{pushed_span:.1f} s, {pushed['throttled']} throttle replies, {pushed['refused_connections']} refused "
            f"connections, {paused_cards} card updates saying sending paused"
        )
    figures["at_limits"] = {**paced, "per_minute": round(rate), "ratio": round(rate / RATE_PER_MINUTE, 3)}
    figures["above_limits"] = {**pushed, "paused_card_updates": paused_cards}
    result.figures = figures
    result.check(
        "at the limits: throttle replies and refused connections",
        paced["throttled"] + paced["refused_connections"],
        "<=",
        0,
    )
    result.check("at the limits: throughput / allowed rate", rate / RATE_PER_MINUTE, ">=", RATE_TARGET, "x")
    result.check(
        "at the limits: e-mails delivered more than once", paced["accepted"] - paced["distinct"], "<=", 0
    )
    result.check("at the limits: distinct e-mails delivered", paced["distinct"], ">=", COUNT)
    result.check(
        "above the limits: e-mails delivered more than once", pushed["accepted"] - pushed["distinct"], "<=", 0
    )
    result.check("above the limits: distinct e-mails delivered", pushed["distinct"], ">=", COUNT)
    result.check(
        "above the limits: relay answers met (throttles + refused connections)",
        pushed["throttled"] + pushed["refused_connections"],
        ">=",
        1,
    )
    result.check("above the limits: card updates saying sending paused", paused_cards, ">=", 1)
    return result
