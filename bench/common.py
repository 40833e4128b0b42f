"""What every benchmark shares: targets that pass or miss, results written as JSON, the machine
they ran on, percentiles, loopback ports and child processes that are always stopped."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Every run's results are kept (one file per benchmark and run, committed): the charts in
# docs/performance.md are drawn from all of them. BENCH_RESULTS points a run elsewhere (the smoke
# tests write to a temporary folder).
RESULTS = Path(os.environ.get("BENCH_RESULTS") or PROJECT_ROOT / "bench" / "results")
PYTHON = sys.executable
LOOPBACK = "127.0.0.1"
PG_ADMIN_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres"

Comparison = Literal["<=", "<", ">="]


@dataclass(frozen=True)
class Target:
    """One check of a benchmark: `value` compared with `limit`, PASS or MISS."""

    name: str
    value: float
    comparison: Comparison
    limit: float
    unit: str = ""

    @property
    def passed(self) -> bool:
        if self.comparison == "<=":
            return self.value <= self.limit
        if self.comparison == "<":
            return self.value < self.limit
        return self.value >= self.limit

    def line(self) -> str:
        verdict = "PASS" if self.passed else "MISS"
        return f"{verdict}  {self.name}: {self.value:.3g}{self.unit} (target {self.comparison} {self.limit:g}{self.unit})"


@dataclass
class BenchResult:
    name: str
    targets: list[Target] = field(default_factory=list)
    # The absolute numbers behind the ratios, by what they measure.
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    finished_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # 1-minute load averages before and after: the machine is shared, and numbers from a busy
    # one say so.
    load: tuple[float, float] = (0.0, 0.0)

    @property
    def passed(self) -> bool:
        return all(target.passed for target in self.targets)

    def check(self, name: str, value: float, comparison: Comparison, limit: float, unit: str = "") -> Target:
        target = Target(name, value, comparison, limit, unit)
        self.targets.append(target)
        return target

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "finished_at": self.finished_at.isoformat(timespec="seconds"),
            "commit": commit(),
            "seconds": round(self.seconds, 1),
            "load_average": {"before": self.load[0], "after": self.load[1]},
            "targets": [asdict(t) | {"passed": t.passed} for t in self.targets],
            "figures": self.figures,
            "notes": self.notes,
            "machine": machine(),
        }

    def write(self, folder: Path | None = None) -> Path:
        """<folder>/<UTC time>-<name>.json (bench/results by default): runs sort by time, and
        none overwrites another."""
        folder = folder or RESULTS
        folder.mkdir(parents=True, exist_ok=True)
        self.finished_at = datetime.now(UTC)
        path = folder / f"{self.finished_at:%Y%m%dT%H%M%SZ}-{self.name}.json"
        path.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n", encoding="utf-8")
        return path


def say(message: str) -> None:
    print(message, flush=True)


# --- the machine ------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        match = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
    except OSError:
        return 0.0
    return round(int(match.group(1)) / 1024 / 1024, 1) if match else 0.0


def _postgres_version() -> str:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3) as connection:
            row = connection.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "unknown"
    except Exception as error:
        return f"unavailable ({type(error).__name__})"


def _slapd_version() -> str:
    found = subprocess.run(
        ["/usr/sbin/slapd", "-VV"], capture_output=True, text=True, check=False, timeout=10
    )
    match = re.search(r"slapd ([\d.]+)", found.stdout + found.stderr)
    return match.group(1) if match else "unknown"


_MACHINE: dict[str, Any] = {}


def commit() -> str:
    """The commit measured, with `+changes` when the work tree differs from it."""

    def git(*args: str) -> str:
        found = subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False, timeout=10
        )
        return found.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "bot", "commands", "blocks", "bench")
    return f"{head}+changes" if dirty else head


def machine() -> dict[str, Any]:
    if not _MACHINE:
        _MACHINE.update(
            nproc=os.cpu_count(),
            cpu=_cpu_model(),
            memory_gib=_memory_gib(),
            python=platform.python_version(),
            postgresql=_postgres_version(),
            slapd=_slapd_version(),
            kernel=platform.release(),
        )
    return _MACHINE


# --- statistics -------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


# --- loopback, processes ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"gave up after {timeout:g}s waiting for {what}")


def accepts(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.2):
            return True
    except OSError:
        return False


@contextmanager
def child_process(
    args: Sequence[str], *, log: Path, env: Mapping[str, str] | None = None, ready_port: int | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A child process (output to `log`), stopped by its PID when the block ends."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        process = subprocess.Popen(
            list(args), stdout=output, stderr=subprocess.STDOUT, env=dict(env or os.environ), cwd=PROJECT_ROOT
        )
    try:
        if ready_port is not None:

            def ready() -> bool:
                if process.poll() is not None:
                    raise RuntimeError(f"{args[0]} exited with {process.returncode}: see {log}")
                return accepts(ready_port)

            wait_until(ready, timeout=60, what=f"{' '.join(args[:3])} to listen on {ready_port}")
        yield process
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def venv_tool(name: str) -> str:
    """A console script of this virtualenv (e.g. `deskops`), next to the running python."""
    candidate = Path(PYTHON).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed in {Path(PYTHON).parent}: run `make install`")
    return found


def rss_bytes(pid: int | None = None) -> int:
    """Resident set size of a process (this one by default), from /proc."""
    statm = Path(f"/proc/{pid or 'self'}/statm").read_text().split()
    return int(statm[1]) * os.sysconf("SC_PAGE_SIZE")
