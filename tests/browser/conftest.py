"""Browser tests: the offline console (`deskops console`) served on a free
loopback port per test module, driven by Playwright in Debian's headless Chromium.

Chromium is /usr/bin/chromium (`make test` apt-installs it); Playwright never downloads a browser.
A missing Chromium fails the tests loudly, it never skips them. Screenshots go to
test-artifacts/browser/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from deskops.offline import OfflineConsole
from tests.browser.console_server import running_console
from tests.support.paths import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
VIEWPORT = {"width": 1360, "height": 860}
TIMEOUT_MS = 10_000
# `expect` keeps its own default (5 s), shorter than the pages': on a loaded CI machine a card
# posted by the outbox worker can take longer than that to reach the console.
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(`make test` installs it; or `apt-get install chromium`)",
            pytrace=False,
        )
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture(scope="module")
def console(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite_template: Path
) -> Iterator[OfflineConsole]:
    """`deskops console`, in this process: the bot, the emulator and the console."""
    with running_console(tmp_path_factory.mktemp("console"), migrated_sqlite_template) as running:
        yield running


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    made = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    made.set_default_timeout(TIMEOUT_MS)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page that fails the test on any script error, and leaves a screenshot when the test fails."""
    (ARTIFACTS / f"FAILED-{request.node.name}.png").unlink(missing_ok=True)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield opened
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        shoot(opened, f"FAILED-{request.node.name}")
    assert not errors, f"the console page reported errors: {errors}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report


def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot under test-artifacts/browser/ (the folder is made when missing)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
