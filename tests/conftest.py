"""Fixtures every ring of tests can use. Real infrastructure is a failure when missing, never a skip."""

from __future__ import annotations

import pytest

from tests.support.paths import BLOCKKIT_LIMITS

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


def pytest_configure(config: pytest.Config) -> None:
    # Every view and message is checked against Slack's limits from the shared reference data,
    # which lives beside the checkout (as in CI); without it, one line instead of 400 errors.
    if not BLOCKKIT_LIMITS.is_file():
        pytest.exit(
            f"{BLOCKKIT_LIMITS} is missing: the tests need the shared reference data (../shared) "
            "beside the checkout",
            returncode=2,
        )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--long", action="store_true", help="also run the long variants (soak, big batches)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--long"):
        return
    skip_long = pytest.mark.skip(reason="long variant: run with --long")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_long)
