"""Fixtures every ring of tests can use. Real infrastructure is a failure when missing, never a skip."""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.support.database",
    "tests.support.accounts",
    "tests.support.slack",
    "tests.support.app",
    "tests.support.smtp_sink",
    "tests.support.slapd",
    "tests.support.log_secrets",
    "tests.support.reliability",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--long", action="store_true", help="also run the long variants (soak, big batches)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--long"):
        return
    skip_long = pytest.mark.skip(reason="long variant: run with --long")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_long)
