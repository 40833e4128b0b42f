"""The emulator's options requests and global shortcuts against a raw app that verifies Slack's
signature and answers what each test sets: the rules Slack applies to an options answer (JSON, one
of options / option_groups, at most 100, option limits, 200 within 3 s), min_query_length, the
Options Load URL, and the shortcuts menu of the manifest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import pytest
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console import SlackEmulator
from console.appconfig import AppConfig
from console.server import BackgroundServer
from tests.support import slack
from tests.support.slack import HELPDESK_USER, SIGNING_SECRET

slack_emulator = slack.slack_emulator  # the fixture, by its name
MODAL = {
    "type": "modal",
    "callback_id": "pick",
    "title": {"type": "plain_text", "text": "Pick"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "thing",
            "label": {"type": "plain_text", "text": "Thing"},
            "element": {"type": "external_select", "action_id": "thing.search"},
        }
    ],
}


def option(n: int) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": f"Thing {n}"}, "value": str(n)}


@dataclass
class RawApp:
    """Answers every request with `body` (JSON unless `content_type` says otherwise)."""

    body: Any = field(default_factory=lambda: {"options": [option(1)]})
    content_type: str = "application/json"
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        raw = await request.body()
        verifier = SignatureVerifier(SIGNING_SECRET)
        if not verifier.is_valid_request(raw, dict(request.headers)):
            return Response(status_code=401)
        form = dict(parse_qsl(raw.decode()))
        self.received.append((request.url.path, json.loads(form["payload"])))
        if json.loads(form["payload"])["type"] == "shortcut":
            return Response(status_code=200)
        content = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
        return Response(content, media_type=self.content_type)


@pytest.fixture
def raw(slack_emulator: SlackEmulator) -> Iterator[tuple[SlackEmulator, RawApp]]:
    app = RawApp()
    server = BackgroundServer(
        Starlette(
            routes=[Route(p, app.handle, methods=["POST"]) for p in ("/slack/events", "/slack/options")]
        )
    )
    server.start()
    slack_emulator.add_user(HELPDESK_USER, name="helen")
    slack_emulator.events_url = f"{server.base_url}/slack/events"
    try:
        yield slack_emulator, app
    finally:
        server.stop()


def open_modal(emu: SlackEmulator, element: dict[str, Any] | None = None) -> Any:
    view = json.loads(json.dumps(MODAL))
    if element is not None:
        view["blocks"][0]["element"].update(element)
    trigger = emu.workspace.views.issue_trigger(HELPDESK_USER)
    emu.client().views_open(trigger_id=trigger, view=view)
    return emu.person(HELPDESK_USER).wait_for_view(callback_id="pick")


def test_an_options_request_is_a_signed_block_suggestion_and_its_options_can_be_chosen(
    raw: tuple[SlackEmulator, RawApp],
) -> None:
    emu, app = raw
    view = open_modal(emu, {"min_query_length": 1})
    app.body = {"options": [option(1), option(2)]}
    outcome = view.type_ahead("thing", "th")
    assert [o["value"] for o in outcome.options] == ["1", "2"] and outcome.problems == []
    path, payload = app.received[-1]
    assert path == "/slack/events"
    assert payload["type"] == "block_suggestion" and "trigger_id" not in payload
    assert (payload["action_id"], payload["block_id"], payload["value"]) == ("thing.search", "thing", "th")
    assert payload["container"] == {"type": "view", "view_id": view.id}
    view.choose("thing", "2")
    assert view.value("thing") == "2"
    with pytest.raises(LookupError):
        view.choose("thing", "3")  # never offered
    assert emu.problems == []


def test_fewer_characters_than_min_query_length_send_nothing(raw: tuple[SlackEmulator, RawApp]) -> None:
    emu, app = raw
    view = open_modal(emu)  # Slack's default min_query_length: 3
    assert view.type_ahead("thing", "ab").delivery is None and app.received == []
    assert view.type_ahead("thing", "abc").options != []


def test_option_groups_are_offered_flattened(raw: tuple[SlackEmulator, RawApp]) -> None:
    emu, app = raw
    view = open_modal(emu)
    app.body = {
        "option_groups": [{"label": {"type": "plain_text", "text": "Recent"}, "options": [option(7)]}]
    }
    outcome = view.type_ahead("thing", "thing")
    assert [o["value"] for o in outcome.options] == ["7"] and outcome.option_groups is not None


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        ({"options": [option(n) for n in range(101)]}, "application/json", "101 items > 100"),
        ({"option_groups": [{"label": {"type": "plain_text", "text": "G"}, "options": [option(1)]}] * 101},
         "application/json", "101 items > 100"),
        ({"options": [option(1)], "option_groups": []}, "application/json", "exactly one of options or option_groups"),
        ({}, "application/json", "exactly one of options or option_groups"),
        ({"options": [{"text": {"type": "plain_text", "text": "x" * 76}, "value": "1"}]}, "application/json", "> 75"),
        ({"options": [{"text": {"type": "mrkdwn", "text": "*x*"}, "value": "1"}]}, "application/json", "plain_text"),
        (b"Thing 1", "text/plain", "not application/json"),
        ([option(1)], "application/json", "not a JSON object"),
    ],
)  # fmt: skip
def test_an_answer_slack_refuses_offers_nothing_and_is_a_problem(
    raw: tuple[SlackEmulator, RawApp], body: Any, content_type: str, problem: str
) -> None:
    emu, app = raw
    view = open_modal(emu)
    app.body, app.content_type = body, content_type
    outcome = view.type_ahead("thing", "thing")
    assert outcome.options == [] and any(problem in p for p in outcome.problems), outcome.problems
    assert any(problem in p for p in emu.take_problems())


def test_options_go_to_the_options_load_url_and_need_one(raw: tuple[SlackEmulator, RawApp]) -> None:
    emu, app = raw
    emu.options_url = emu.events_url.replace("/slack/events", "/slack/options")  # type: ignore[union-attr]
    view = open_modal(emu)
    view.type_ahead("thing", "thing")
    assert app.received[-1][0] == "/slack/options"
    emu.configure_app(AppConfig.from_mapping({"settings": {"interactivity": {"is_enabled": True}}}))
    outcome = view.type_ahead("thing", "other")
    assert outcome.delivery is None and len(app.received) == 1
    assert "no Options Load URL" in emu.take_problems()[0]


def test_a_global_shortcut_of_the_manifest_reaches_the_app(raw: tuple[SlackEmulator, RawApp]) -> None:
    emu, app = raw
    manifest = {"features": {"shortcuts": [
        {"name": "Do it", "type": "global", "callback_id": "do.it", "description": "d"},
        {"name": "On a message", "type": "message", "callback_id": "on.message", "description": "m"},
    ]}}  # fmt: skip
    emu.configure_app(AppConfig.from_mapping(manifest))
    outcome = emu.person(HELPDESK_USER).shortcut("Do it")
    assert outcome.status == 200 and outcome.problems == []
    payload = app.received[-1][1]
    assert payload["type"] == "shortcut" and payload["callback_id"] == "do.it"
    assert payload["trigger_id"] == outcome.trigger_id and payload["user"]["id"] == HELPDESK_USER
    assert "channel" not in payload and "response_url" not in payload
    with pytest.raises(LookupError):
        emu.person(HELPDESK_USER).shortcut("On a message")  # a message shortcut is not in the menu
