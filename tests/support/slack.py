"""Slack for tests: the `slack_emulator` fixture and helpers to point a Bolt app at it.

    from tests.support import slack
    slack_emulator = slack.slack_emulator   # in the test module: the fixture, by its name
    # (or `pytest_plugins = ["tests.support.slack"]` in the root tests/conftest.py)

    def test_something(slack_emulator: SlackEmulator) -> None:
        env = bot_environment(slack_emulator)           # SLACK_API_URL, token, signing secret
        with serve_bolt_app(app) as events_url:          # any Bolt App, on 127.0.0.1:<free port>
            slack_emulator.events_url = events_url
            ...

The fixture is function-scoped (a fresh workspace and port per test) and fails the test at
teardown when anything the app sent broke a Block Kit limit, or Slack would have shown an error
(slow or failed ack, bad response_action…): every message and view of every test is checked.
A test that provokes a problem on purpose takes it with `emu.take_problems()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from slack_bolt import App, BoltRequest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from console import SlackEmulator
from console.server import BackgroundServer
from tests.support.paths import BLOCKKIT_LIMITS

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-A0DESKOPS-1-test-app-level-token"

HELPDESK_USER = "U0HELP01"
OTHER_HELPDESK_USER = "U0HELP02"
APPROVER = "U0APPR01"
HELPDESK_CHANNEL = "C0HELP01"
APPROVALS_CHANNEL = "C0APPR01"
HELPDESK_GROUP = "S0HELPDK"


def make_emulator(*, app_token: str | None = None) -> SlackEmulator:
    """With `app_token`, the app has Socket Mode on: payloads go over its WebSocket, not HTTP."""
    return SlackEmulator(
        signing_secret=SIGNING_SECRET, limits_path=BLOCKKIT_LIMITS, bot_token=BOT_TOKEN, app_token=app_token
    )


@contextmanager
def running_emulator(*, app_token: str | None = None) -> Iterator[SlackEmulator]:
    """A started emulator; what Slack would have refused or shown as an error fails the test."""
    emulator = make_emulator(app_token=app_token).start()
    try:
        yield emulator
    finally:
        problems = emulator.take_problems()
        emulator.stop()
    assert not problems, "Slack would have refused this or shown an error:\n  " + "\n  ".join(problems)


@pytest.fixture
def slack_emulator() -> Iterator[SlackEmulator]:
    with running_emulator() as emulator:
        yield emulator


def bot_environment(emulator: SlackEmulator) -> dict[str, str]:
    """The bot's Slack settings for this emulator (SLACK_APP_TOKEN only when it has Socket Mode on)."""
    settings = {
        "SLACK_API_URL": emulator.api_url,
        "SLACK_BOT_TOKEN": emulator.bot_token,
        "SLACK_SIGNING_SECRET": emulator.signing_secret,
    }
    if emulator.app_token is not None:
        settings["SLACK_APP_TOKEN"] = emulator.app_token
    return settings


def seed_helpdesk(emulator: SlackEmulator) -> None:
    """Two helpdesk people, an approver, #helpdesk and #approvals with the bot in them, @helpdesk."""
    emulator.add_user(
        HELPDESK_USER, name="helen", real_name="Helen Desk", email="helen@msp.example", display_name="Helen"
    )
    emulator.add_user(OTHER_HELPDESK_USER, name="harry", real_name="Harry Desk", email="harry@msp.example")
    emulator.add_user(APPROVER, name="anna", real_name="Anna Approver", email="anna@msp.example")
    everyone = [HELPDESK_USER, OTHER_HELPDESK_USER, APPROVER]
    emulator.add_channel(HELPDESK_CHANNEL, name="helpdesk", members=everyone, bot_is_member=True)
    emulator.add_channel(APPROVALS_CHANNEL, name="approvals", members=[APPROVER], bot_is_member=True)
    emulator.add_usergroup(HELPDESK_GROUP, handle="helpdesk", users=[HELPDESK_USER, OTHER_HELPDESK_USER])


def bolt_asgi_app(app: App, path: str = "/slack/events") -> Starlette:
    """A Bolt `App` behind a Starlette route (Bolt's dispatch runs in the threadpool)."""

    async def events(request: Request) -> Response:
        bolt_request = BoltRequest(
            body=(await request.body()).decode("utf-8"),
            query=request.url.query,
            headers=dict(request.headers.items()),
        )
        answer = await run_in_threadpool(app.dispatch, bolt_request)
        headers = {key: values[0] for key, values in answer.headers.items() if values}
        headers.pop("content-length", None)
        return Response(content=answer.body, status_code=answer.status, headers=headers)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route(path, events, methods=["POST"]), Route("/healthz", healthz)])


@contextmanager
def serve_bolt_app(app: App, path: str = "/slack/events") -> Iterator[str]:
    """Serve a Bolt app on a free loopback port; yields its events URL."""
    server = BackgroundServer(bolt_asgi_app(app, path))
    server.start()
    try:
        yield f"{server.base_url}{path}"
    finally:
        server.stop()
