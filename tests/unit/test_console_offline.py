"""Console mode's pieces without a server: settings, routing, the manifest's commands, limits,
places, client-side errors and how browser values become Slack view state."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message

from bot.config import load_settings
from bot.migrations import PROJECT_ROOT
from console.actions import ConsoleError, SlashCommand, state_entry
from console.pages import ClientErrors, Place
from deskops.offline import (
    APPROVALS_CHANNEL,
    APPROVER,
    HELPDESK_CHANNEL,
    HELPDESK_GROUP,
    ConsoleRouter,
    console_settings,
    load_commands,
    load_limits,
)


def test_console_settings_point_the_bot_at_the_emulator_and_this_server() -> None:
    settings = load_settings(
        _env_file=None, slack_bot_token="xoxb-operator", slack_app_token="xapp-1", helpdesk_users="U0SOMEONE"
    )
    bot = console_settings(
        settings, base_url="http://127.0.0.1:3999", bot_token="xoxb-console-1", signing_secret="s3"
    )
    assert bot.slack_api_url == "http://127.0.0.1:3999/console/slack/api/"
    assert bot.public_url == "http://127.0.0.1:3999" and bot.host == "127.0.0.1"
    assert bot.slack_bot_token == SecretStr("xoxb-console-1") and bot.slack_signing_secret == SecretStr("s3")
    assert bot.slack_app_token is None and bot.slack_configured
    assert bot.helpdesk_users == [HELPDESK_GROUP] and bot.approvers == [APPROVER]
    assert bot.helpdesk_channel == HELPDESK_CHANNEL and bot.approvals_channel == APPROVALS_CHANNEL
    assert settings.slack_bot_token == SecretStr(
        "xoxb-operator"
    )  # the operator's settings are left as they were
    # Out of the box the activation page says where to get the agent (unless one is configured).
    assert bot.agent_download_url == "https://cloud.acronis.com/"
    configured = load_settings(_env_file=None, agent_download_url="https://backup.msp.example/agent")
    assert (
        console_settings(
            configured, base_url="http://127.0.0.1:3999", bot_token="x", signing_secret="s"
        ).agent_download_url
        == "https://backup.msp.example/agent"
    )


def get(app: ASGIApp, path: str) -> tuple[int, dict[str, str], str]:
    """One GET through an ASGI app: status, headers and body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:3000")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 3000),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    # In a thread of its own: Playwright's sync API may hold an event loop in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return int(start["status"]), headers, body.decode()


def test_the_router_sends_console_paths_to_the_console_and_the_rest_to_the_bot() -> None:
    def named(name: str) -> Starlette:
        async def answer(request: Request) -> PlainTextResponse:
            return PlainTextResponse(f"{name} {request.url.path}")

        return Starlette(routes=[Route("/{path:path}", answer)])

    router = ConsoleRouter(named("console"), named("bot"))
    for path, expected in [
        ("/console", "console /console"),
        ("/console/api/state", "console /console/api/state"),
        ("/consoles", "bot /consoles"),
        ("/slack/events", "bot /slack/events"),
        ("/activate/abc", "bot /activate/abc"),
    ]:
        assert get(router, path)[2] == expected
    status, headers, _ = get(router, "/")
    assert status == 307 and headers["location"] == "/console"


def test_slash_commands_come_from_the_manifest() -> None:
    commands = load_commands(PROJECT_ROOT / "app.yaml")
    assert [c.command for c in commands] == ["/backup", "/enroll"]
    assert "/backup add [customer]" in commands[0].suggestions()
    assert load_commands(Path("/nonexistent/app.yaml")) == [SlashCommand("/backup"), SlashCommand("/enroll")]
    assert SlashCommand("/x").suggestions() == ["/x"]


def test_without_the_shared_limits_file_nothing_is_checked(tmp_path: Path) -> None:
    limits = load_limits(tmp_path / "missing.json")
    too_long = [{"type": "header", "text": {"type": "plain_text", "text": "x" * 5000}}]
    assert limits.validate_message(too_long) == []
    assert limits.validate_view({"type": "modal"}) == []


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("channel:C0HELPDSK", Place("channel", "C0HELPDSK")),
        ("home", Place("home")),
        ("outbox:a.eml", Place("outbox", "a.eml")),
    ],
)
def test_places(text: str, place: Place) -> None:
    assert Place.parse(text) == place


@pytest.mark.parametrize("text", ["home:x", "disk:/etc", ""])
def test_unknown_places_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="unknown place"):
        Place.parse(text)


def test_client_errors_last_until_the_view_changes() -> None:
    errors = ClientErrors()
    errors.set("V1", "hash-1", {"email": "Please complete this required field."})
    assert errors.get("V1", "hash-1") == {"email": "Please complete this required field."}
    assert errors.get("V1", "hash-2") == {}
    errors.set("V1", "", {})
    assert errors.get("V1", "hash-1") == {}


def option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value.title()}, "value": value}


SELECT = {"type": "static_select", "action_id": "s", "options": [option("user"), option("admin")]}


@pytest.mark.parametrize(
    ("element", "raw", "entry"),
    [
        (
            {"type": "plain_text_input", "action_id": "t", "max_length": 5},
            "abcdefgh",
            {"type": "plain_text_input", "value": "abcde"},
        ),
        ({"type": "email_text_input", "action_id": "e"}, "", {"type": "email_text_input", "value": None}),
        (SELECT, "admin", {"type": "static_select", "selected_option": option("admin")}),
        (SELECT, "", {"type": "static_select", "selected_option": None}),
        (
            {**SELECT, "type": "checkboxes"},
            ["user", "admin"],
            {"type": "checkboxes", "selected_options": [option("user"), option("admin")]},
        ),
        ({**SELECT, "type": "checkboxes"}, [], {"type": "checkboxes", "selected_options": []}),
        (
            {"type": "datepicker", "action_id": "d"},
            "2026-03-01",
            {"type": "datepicker", "selected_date": "2026-03-01"},
        ),
        (
            {"type": "multi_users_select", "action_id": "u"},
            ["U1", ""],
            {"type": "multi_users_select", "selected_users": ["U1"]},
        ),
        ({"type": "users_select", "action_id": "u"}, "U1", {"type": "users_select", "selected_user": "U1"}),
        ({"type": "button", "action_id": "b"}, None, None),
    ],
)
def test_browser_values_become_view_state(
    element: dict[str, Any], raw: Any, entry: dict[str, Any] | None
) -> None:
    assert state_entry(element, raw) == entry


def test_an_option_the_element_does_not_offer_is_refused() -> None:
    with pytest.raises(ConsoleError, match="no option"):
        state_entry(SELECT, "root")
