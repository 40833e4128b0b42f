"""Invitation throughput: a batch from Send to the last message accepted by an SMTP sink, against
raw smtplib sending the same messages to the same sink over one connection.

Processes: the sink (bench.smtp_sink: aiosmtpd that only counts), a fake Slack Web API for the
batch's progress card, and each run in a fresh process of its own (bench.invitation_run): raw
smtplib with the messages rendered beforehand, or deskops on a fresh database, where the clock
starts at Send and stops when the sink accepts the last message. Runs alternate raw / SQLite /
PostgreSQL for a few rounds; each figure is the median of its runs.

Targets: deskops ≥ 0.6 x raw throughput (1,000 invitees, on each database), and memory flat:
the growth of the worker process's resident memory during Send and delivery at 10,000
invitees no more than at 1,000 plus `FLAT_SLACK_MIB`.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
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
    median,
    say,
    stop_process,
    wait_until,
)

NAME = "invitations"
COUNT = 1_000
LARGE = 10_000
ROUNDS = 3
RATIO_TARGET = 0.6  # decided in issue 20; the mail path itself is the mail-relay issue's (21)
FLAT_SLACK_MIB = 8.0
PG_DATABASE = "deskops_bench_invitations"
MIB = 1024 * 1024


class Sink:
    """The sink process, asked over its stdin what it has accepted."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "bench.smtp_sink", str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )

    def _ask(self, command: str) -> str:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def stats(self) -> tuple[int, float, float]:
        accepted, first, last, _ = self._ask("stats").split()
        return int(accepted), float(first), float(last)

    def reset(self) -> None:
        self._ask("reset")

    def wait_for(self, count: int, timeout: float) -> float:
        """When the `count`-th message was accepted (epoch seconds)."""
        wait_until(lambda: self.stats()[0] >= count, timeout=timeout, what=f"{count} messages", interval=0.05)
        return self.stats()[2]

    def stop(self) -> None:
        stop_process(self.process)  # type: ignore[arg-type]
        self._log.close()


def _run(args: list[str], log: Path, timeout: float) -> dict[str, Any]:
    with log.open("ab") as errors:
        done = subprocess.run(
            [PYTHON, "-m", "bench.invitation_run", *args],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            timeout=timeout,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"bench.invitation_run {args[0]} failed ({done.returncode}): see {log}")
    loaded: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def _database(backend: str, workdir: Path, number: int) -> str:
    if backend == "postgresql":
        from tests.support.database import create_postgres_database

        return create_postgres_database(PG_DATABASE)
    from bot.migrations import upgrade

    url = f"sqlite:///{workdir / f'invitations-{number}.db'}"
    upgrade(url)
    return url


def run(*, count: int = COUNT, large: int = LARGE, rounds: int = ROUNDS) -> BenchResult:
    result = BenchResult(NAME)
    workdir = Path(tempfile.mkdtemp(prefix="deskops-bench-invitations-"))
    smtp_port, slack_port = free_port(), free_port()
    slack_api = f"http://{LOOPBACK}:{slack_port}/api/"
    seconds: dict[str, list[float]] = {"raw": [], "sqlite": [], "postgresql": []}
    growth: dict[str, dict[int, list[float]]] = {"sqlite": {}, "postgresql": {}}
    runs = 0
    with ExitStack() as stack:
        stack.enter_context(
            child_process(
                [PYTHON, "-m", "bench.fake_slack", str(slack_port)],
                log=workdir / "fake_slack.log",
                ready_port=slack_port,
            )
        )
        sink = Sink(smtp_port, workdir / "sink.log")
        stack.callback(sink.stop)
        wait_until(lambda: sink.process.poll() is None and accepts(smtp_port), timeout=30, what="the sink")
        plan = [(name, count) for _ in range(rounds) for name in seconds] + [
            (backend, large) for backend in growth
        ]
        say(
            f"  {rounds} rounds of raw / SQLite / PostgreSQL at {count:,}, then deskops at {large:,} (logs in {workdir})"
        )
        for name, size in plan:
            sink.reset()
            runs += 1
            if name == "raw":
                outcome = _run(["raw", str(size), str(smtp_port)], workdir / "raw.log", timeout=300)
            else:
                url = _database(name, workdir, runs)
                outcome = _run(
                    ["app", str(size), str(smtp_port), url, slack_api], workdir / f"{name}.log", timeout=900
                )
                growth[name].setdefault(size, []).append((outcome["rss_peak"] - outcome["rss_before"]) / MIB)
                if outcome["states"] != {"sent": size}:
                    raise RuntimeError(
                        f"deskops on {name} did not send every invitation: {outcome['states']}"
                    )
            last = sink.wait_for(size, timeout=120)
            elapsed = last - outcome["started"]
            if size == count:
                seconds[name].append(elapsed)
            cpu_ms = outcome["cpu_seconds"] / size * 1000
            say(
                f"    {name:10} {size:6,} messages in {elapsed:6.2f} s = {size / elapsed:7.0f}/s, {cpu_ms:.2f} ms CPU each"
            )
    _report(result, count, large, seconds, growth)
    return result


def _report(
    result: BenchResult,
    count: int,
    large: int,
    seconds: dict[str, list[float]],
    growth: dict[str, dict[int, list[float]]],
) -> None:
    raw_rate = count / median(seconds["raw"])
    figures: dict[str, Any] = {
        "invitees": count,
        "raw_smtplib": {"messages_per_s": round(raw_rate), "seconds": [round(s, 3) for s in seconds["raw"]]},
    }
    for backend in ("sqlite", "postgresql"):
        rate = count / median(seconds[backend])
        small, big = median(growth[backend][count]), median(growth[backend][large])
        figures[f"deskops_{backend}"] = {
            "messages_per_s": round(rate),
            "ratio": round(rate / raw_rate, 2),
            "seconds": [round(s, 3) for s in seconds[backend]],
            f"rss_growth_mib_at_{count}": round(small, 1),
            f"rss_growth_mib_at_{large}": round(big, 1),
        }
        say(
            f"  deskops ({backend}): {rate:.0f}/s = {rate / raw_rate:.2f} x raw ({raw_rate:.0f}/s); "
            f"RSS growth {small:.1f} MiB at {count:,}, {big:.1f} MiB at {large:,}"
        )
        result.check(
            f"deskops ({backend}) / raw smtplib throughput", rate / raw_rate, ">=", RATIO_TARGET, "x"
        )
        result.check(
            f"deskops ({backend}) RSS growth at {large:,} minus at {count:,}",
            big - small,
            "<=",
            FLAT_SLACK_MIB,
            " MiB",
        )
    result.figures = figures
