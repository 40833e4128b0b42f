"""Figures of the reliability suite, counted by the tests themselves, not written by hand.

    def test_x(figures: Figures, slack_emulator: SlackEmulator) -> None:
        figures.watch(slack_emulator)           # every request sent to the app is counted
        figures.add("faults injected", 1)
        figures.add("items lost", 0)            # a figure that must stay 0 is still reported

Each test's figures travel with its pytest report (`user_properties`, which pytest-xdist hands to
the controlling process). When the session ends the controlling process writes
test-artifacts/reliability/summary.json and reliability.md (see tests/reliability/report.py,
which also renders docs/reliability.md from the summary).
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from console import SlackEmulator
from console.transport import Delivery, SentRequest
from tests.support.log_secrets import ARTIFACTS, scan_reports
from tests.support.paths import PROJECT_ROOT

PROPERTY = "deskops.reliability"
SECTIONS = {
    "test_signatures": "Signatures",
    "test_retries": "Retries and double submits",
    "test_crash": "Crash (kill -9) and restart",
    "test_outages": "Outages",
    "test_authorisation": "Authorisation matrix",
    "test_hostile_input": "Hostile input",
    "test_hostile_payloads": "Hostile input",
    "test_authorisation_views": "Authorisation matrix",
    "test_secret_logs": "Secrets in logs",
    "test_probe_unverified": "External probe",
    "test_probe_bodies": "External probe",
    "test_probe_races": "External probe",
    "test_probe_links": "External probe",
    "test_probe_input": "External probe",
    "test_probe_metrics": "External probe",
}


class Figures:
    def __init__(self) -> None:
        self.values: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self.values[name] += amount

    def watch(self, emulator: SlackEmulator) -> None:
        """Count every request the emulator sends to the app, by the app's answer."""
        sender = emulator.sender
        original = sender.send

        def counted(request: SentRequest, **kwargs: Any) -> Delivery:
            delivery = original(request, **kwargs)
            self.add("requests sent to the app")
            if delivery.status == 401:
                self.add("requests refused with 401")
            elif delivery.status >= 500 or delivery.error is not None:
                self.add("answers 5xx or none")
            return delivery

        sender.send = counted  # type: ignore[method-assign]


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    counted = Figures()
    yield counted
    module = request.node.module.__name__.rsplit(".", 1)[-1]
    section = SECTIONS.get(module, module)
    request.node.user_properties.append((PROPERTY, {"section": section, "figures": dict(counted.values)}))


# --- collected in the controlling process ----------------------------------------------------


class Collector:
    def __init__(self) -> None:
        self.tests: dict[str, dict[str, Any]] = {}

    def report(self, report: pytest.TestReport) -> None:
        entry = self.tests.setdefault(report.nodeid, {"outcome": "passed", "seconds": 0.0})
        entry["seconds"] += report.duration
        if report.failed:
            entry["outcome"] = "failed"
        elif report.skipped and report.when in ("setup", "call"):
            entry["outcome"] = "skipped"
        for name, value in report.user_properties:
            if name == PROPERTY and isinstance(value, dict):
                entry.update(value)


COLLECTOR = Collector()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "tests/reliability/" in report.nodeid.replace("\\", "/"):
        COLLECTOR.report(report)


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except OSError:
        return "unknown"


def summarise(tests: dict[str, dict[str, Any]], *, long: bool) -> dict[str, Any]:
    sections: dict[str, dict[str, Any]] = {}
    for _nodeid, entry in sorted(tests.items()):
        if "section" not in entry:  # skipped before its fixtures ran
            continue
        section = sections.setdefault(
            entry["section"],
            {"tests": 0, "passed": 0, "failed": 0, "skipped": 0, "seconds": 0.0, "figures": {}},
        )
        section["tests"] += 1
        section[entry["outcome"]] += 1
        section["seconds"] = round(section["seconds"] + entry["seconds"], 2)
        for name, value in entry.get("figures", {}).items():
            section["figures"][name] = section["figures"].get(name, 0) + value
    scans = scan_reports()
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "long": long,
        "sections": sections,
        "tests": {nodeid: entry for nodeid, entry in sorted(tests.items()) if "section" in entry},
        "secret_scan": {
            "processes": len(scans),
            "records_checked": sum(s["records_checked"] for s in scans),
            "process_logs_checked": sum(s.get("process_logs_checked", 0) for s in scans),
            "process_log_lines_checked": sum(s.get("process_log_lines_checked", 0) for s in scans),
            "secrets_known": sum(s["secrets_known"] for s in scans),
            "leaks": [leak for s in scans for leak in s["leaks"]],
        },
    }


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput"):
        return
    # Secrets found in the logs fail the run in tests/support/log_secrets.py, which lists them.
    if not any("section" in entry for entry in COLLECTOR.tests.values()):
        return
    from tests.reliability.report import render

    summary = summarise(COLLECTOR.tests, long=bool(session.config.getoption("--long")))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "summary.json").write_text(json.dumps(summary, indent=2))
    (ARTIFACTS / "reliability.md").write_text(render(summary))
