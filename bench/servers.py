"""What the Slack benchmarks start: the fake Slack Web API, the bare Bolt baseline and
`deskops serve`, each in its own process, on loopback ports, with their logs in a work folder."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    LOOPBACK,
    PROJECT_ROOT,
    PYTHON,
    child_process,
    free_port,
    median,
    percentile,
    say,
    venv_tool,
)
from bench.fake_slack import HELPDESK_GROUP, FakeSlackClient
from bot.slack.sealing import MetadataSeal
from bot.tokens import LinkTokens

SIGNING_SECRET = "bench-signing-secret-8f2a"
SECRET_KEY = "bench-secret-key-for-link-tokens-0123456789"  # seals views' private_metadata
HELPDESK_CHANNEL = "C0BENCH1"
SAMPLE_CUSTOMERS = PROJECT_ROOT / "bot/sample/customers.yaml"


@dataclass
class Server:
    """A server under measurement and what was measured of it."""

    name: str
    port: int
    baseline: bool = False  # the bare Bolt app, which does no follow-up work
    samples: list[float] = field(default_factory=list)
    errors: int = 0

    def latency(self, width: int = 28) -> dict[str, float | int]:
        """The latency figures of its samples, also printed as one line."""
        figures: dict[str, float | int] = {
            "requests": len(self.samples),
            "errors": self.errors,
            "p50_ms": round(median(self.samples), 1),
            "p99_ms": round(percentile(self.samples, 99), 1),
            "max_ms": round(max(self.samples), 1),
        }
        say(
            f"  {self.name:{width}} p50 {figures['p50_ms']:7.1f} ms   p99 {figures['p99_ms']:7.1f} ms   "
            f"max {figures['max_ms']:7.1f} ms   errors {self.errors}"
        )
        return figures


def deskops_environment(fake_port: int, workdir: Path, database_url: str, **settings: str) -> dict[str, str]:
    """`deskops serve`'s environment: Slack at the fake, the bench's signing secret, `settings`
    (upper-case names) on top."""
    return {
        **os.environ,
        "SLACK_API_URL": f"http://{LOOPBACK}:{fake_port}/api/",
        "SLACK_BOT_TOKEN": "xoxb-bench-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "HELPDESK_USERS": HELPDESK_GROUP,
        "DATABASE_URL": database_url,
        "SMTP_URL": str(workdir / "outbox"),
        "SECRET_KEY": SECRET_KEY,
        "SECRET_KEY_FILE": str(workdir / "deskops.secret"),
        "PUBLIC_URL": f"http://{LOOPBACK}:3000",
        **settings,
    }


def view_seal() -> MetadataSeal:
    """deskops' seal of private_metadata under the bench's SECRET_KEY: a submission the bench
    fills in carries metadata of its own (a new request key), sealed as deskops would."""
    return MetadataSeal(LinkTokens(SECRET_KEY.encode("utf-8")))


def deskops_cli(env: Mapping[str, str], log: Path, *commands: Sequence[str]) -> None:
    """Run `deskops <command>` for each command (e.g. `db upgrade`), output to `log`."""
    deskops = venv_tool("deskops")
    for command in commands:
        with log.open("ab") as output:
            subprocess.run(
                [deskops, *command],
                env=dict(env),
                stdout=output,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=300,
            )


def prepare_database(env: Mapping[str, str], log: Path) -> None:
    """Migrated, with the sample customers."""
    deskops_cli(env, log, ["db", "upgrade"], ["customers", "import", "--if-empty", str(SAMPLE_CUSTOMERS)])


def postgres_url(name: str) -> str:
    from tests.support.database import create_postgres_database

    return create_postgres_database(name)


@contextmanager
def fake_slack(workdir: Path) -> Iterator[FakeSlackClient]:
    port = free_port()
    with child_process(
        [PYTHON, "-m", "bench.fake_slack", str(port)], log=workdir / "fake_slack.log", ready_port=port
    ):
        yield FakeSlackClient(port)


@contextmanager
def bare_app(
    workdir: Path, env: Mapping[str, str], *, home_view: Path | None = None, name: str = "bare Bolt app"
) -> Iterator[Server]:
    server = Server(name, free_port(), baseline=True)
    args = [PYTHON, "-m", "bench.bare_app", str(server.port)]
    with child_process(
        [*args, str(home_view)] if home_view else args,
        log=workdir / f"bare-{server.port}.log",
        env=env,
        ready_port=server.port,
    ):
        yield server


@contextmanager
def deskops_serve(name: str, env: Mapping[str, str], log: Path) -> Iterator[Server]:
    server = Server(name, free_port())
    with child_process(
        [venv_tool("deskops"), "serve", "--host", LOOPBACK, "--port", str(server.port)],
        log=log,
        env=env,
        ready_port=server.port,
    ):
        yield server
