"""The Slack emulator against a tiny real Bolt app: signatures Bolt accepts, payloads Bolt routes,
Web API answers slack_sdk understands, and the Slack behaviours the bot relies on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_bolt import Ack, App, BoltRequest, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.console import SlackEmulator
from tests.support import slack
from tests.support.slack import (
    BOT_TOKEN,
    HELPDESK_CHANNEL,
    HELPDESK_USER,
    SIGNING_SECRET,
    seed_helpdesk,
    serve_bolt_app,
)

slack_emulator = slack.slack_emulator  # the fixture, by its name

JSON = dict[str, Any]


def plain(text: str) -> JSON:
    return {"type": "plain_text", "text": text}


def option(text: str, value: str) -> JSON:
    return {"text": plain(text), "value": value}


def text_input(block_id: str, label: str, *, kind: str = "plain_text_input", optional: bool = False) -> JSON:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": plain(label),
        "element": {"type": kind, "action_id": "value"},
    }


def form_view(channel_id: str, *, admin: bool = False) -> JSON:
    blocks = [
        text_input("first_name", "First name"),
        text_input("email", "Email", kind="email_text_input"),
        {
            "type": "input",
            "block_id": "role",
            "dispatch_action": True,
            "label": plain("Role"),
            "element": {
                "type": "static_select",
                "action_id": "role_select",
                "initial_option": option("User", "user"),
                "options": [option("User", "user"), option("Administrator", "administrator")],
            },
        },
        {
            "type": "input",
            "block_id": "services",
            "optional": True,
            "label": plain("Assign services"),
            "element": {"type": "checkboxes", "action_id": "value", "options": [option("Backup", "backup")]},
        },
        text_input("note", "Note", optional=True),
    ]
    if admin:
        blocks.insert(3, text_input("address", "Address"))
    return {
        "type": "modal",
        "callback_id": "demo_form",
        "title": plain("Add New User"),
        "submit": plain("Next"),
        "close": plain("Cancel"),
        "notify_on_close": True,
        "private_metadata": channel_id,
        "blocks": blocks,
    }


def settings_view() -> JSON:
    return {
        "type": "modal",
        "callback_id": "backup_settings",
        "title": plain("Acronis Backup Settings"),
        "submit": plain("Create"),
        "blocks": [text_input("quota", "Storage quota in GB", kind="number_input", optional=True)],
    }


def done_view(text: str) -> JSON:
    return {
        "type": "modal",
        "callback_id": "done",
        "title": plain("Done"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def home_view(count: int) -> JSON:
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": plain("Helpdesk dashboard")},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"Refreshed {count} times"}},
            {
                "type": "actions",
                "block_id": "home_actions",
                "elements": [{"type": "button", "action_id": "refresh", "text": plain("Refresh")}],
            },
        ],
    }


def created_message(name: str) -> list[JSON]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"Created *{name}*"}},
        {
            "type": "actions",
            "block_id": "user_actions",
            "elements": [
                {"type": "button", "action_id": "activate", "text": plain("Activate"), "value": name},
                {"type": "button", "action_id": "assign", "text": plain("Assign service"), "value": name},
            ],
        },
    ]


@dataclass
class Seen:
    """What the demo app received, for assertions."""

    submissions: list[JSON] = field(default_factory=list)
    closed: list[JSON] = field(default_factory=list)
    actions: list[JSON] = field(default_factory=list)
    commands: list[JSON] = field(default_factory=list)
    retry_headers: list[str | None] = field(default_factory=list)
    home_events: list[JSON] = field(default_factory=list)


def build_demo_app(emulator: SlackEmulator, seen: Seen) -> App:
    client = WebClient(token=BOT_TOKEN, base_url=emulator.api_url)
    app = App(token=BOT_TOKEN, signing_secret=SIGNING_SECRET, client=client)

    @app.command("/demo")
    def demo(ack: Ack, body: JSON, client: WebClient, request: BoltRequest) -> None:
        seen.commands.append(body)
        seen.retry_headers.append(request.headers.get("x-slack-retry-num", [None])[0])
        word = body["text"].strip()
        if word == "open":
            ack()
            client.views_open(trigger_id=body["trigger_id"], view=form_view(body["channel_id"]))
        elif word == "say":
            ack(text="Only you can see this")
        elif word == "loud":
            ack(text="Everyone sees this", response_type="in_channel")
        elif word == "slow":
            time.sleep(3.2)
            ack()
        elif word == "huge":
            ack(blocks=[{"type": "header", "text": plain("x" * 151)}])
        else:
            ack()

    @app.action("role_select")
    def role_changed(ack: Ack, body: JSON, client: WebClient) -> None:
        ack()
        seen.actions.append(body)
        admin = body["actions"][0]["selected_option"]["value"] == "administrator"
        view = body["view"]
        client.views_update(
            view_id=view["id"], hash=view["hash"], view=form_view(view["private_metadata"], admin=admin)
        )

    @app.view("demo_form")
    def submitted(ack: Ack, body: JSON, view: JSON, client: WebClient) -> None:
        seen.submissions.append(body)
        values = view["state"]["values"]
        first_name = values["first_name"]["value"]["value"]
        if first_name == "bad":
            ack(response_action="errors", errors={"first_name": "Not a real name"})
        elif first_name == "stray":
            ack(response_action="errors", errors={"no_such_block": "nope"})
        elif values["services"]["value"]["selected_options"]:
            ack(response_action="push", view=settings_view())
        elif values["note"]["value"]["value"] == "update":
            ack(response_action="update", view=done_view(f"Created {first_name}"))
        else:
            ack()
            client.chat_postMessage(
                channel=view["private_metadata"], text=f"Created {first_name}", blocks=created_message(first_name)
            )

    @app.view("backup_settings")
    def settings_submitted(ack: Ack, body: JSON) -> None:
        seen.submissions.append(body)
        ack(response_action="clear")

    @app.view_closed("demo_form")
    def closed(ack: Ack, body: JSON) -> None:
        seen.closed.append(body)
        ack()

    @app.action("activate")
    def activate(ack: Ack, body: JSON, client: WebClient, respond: Respond) -> None:
        ack()
        seen.actions.append(body)
        name = body["actions"][0]["value"]
        client.chat_update(
            channel=body["channel"]["id"], ts=body["message"]["ts"], text=f"{name} activated", blocks=[]
        )
        respond(text=f"You activated {name}", response_type="ephemeral", replace_original=False)

    @app.action("assign")
    def assign(ack: Ack, body: JSON, respond: Respond) -> None:
        ack()
        seen.actions.append(body)
        respond(text="Assigned", replace_original=True)

    @app.event("app_home_opened")
    def home_opened(body: JSON, event: JSON, client: WebClient) -> None:
        seen.home_events.append(body)
        client.views_publish(user_id=event["user"], view=home_view(0))

    @app.action("refresh")
    def refresh(ack: Ack, body: JSON, client: WebClient) -> None:
        ack()
        seen.actions.append(body)
        client.views_publish(user_id=body["user"]["id"], view=home_view(len(seen.actions)))

    return app


@pytest.fixture
def demo(slack_emulator: SlackEmulator) -> Iterator[tuple[SlackEmulator, Seen]]:
    seed_helpdesk(slack_emulator)
    seen = Seen()
    with serve_bolt_app(build_demo_app(slack_emulator, seen)) as events_url:
        slack_emulator.events_url = events_url
        yield slack_emulator, seen


# --- signatures and retries ---------------------------------------------------------------------


def test_bolt_accepts_the_emulator_signature_and_rejects_bad_or_stale_ones(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, seen = demo
    out = emu.person(HELPDESK_USER).slash("/demo", "nothing", channel=HELPDESK_CHANNEL)
    assert out.status == 200
    assert len(seen.commands) == 1

    assert emu.send_raw(out.request, signature="v0=" + "0" * 64).status == 401
    stale = int(time.time()) - 6 * 60
    assert emu.send_raw(out.request, timestamp=stale).status == 401
    assert len(seen.commands) == 1

    # the same body, freshly signed, is accepted again (so 401 above came from the signature)
    assert emu.send_raw(out.request).status == 200
    assert len(seen.commands) == 2


def test_a_slack_retry_resends_the_same_body_with_retry_headers(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, seen = demo
    out = emu.person(HELPDESK_USER).slash("/demo", "nothing", channel=HELPDESK_CHANNEL)
    retry = emu.send_raw(out.request, retry_num=1, retry_reason="http_timeout")
    assert retry.status == 200
    assert [c["trigger_id"] for c in seen.commands] == [out.trigger_id, out.trigger_id]
    assert seen.retry_headers == [None, "1"]


def test_slash_command_form_has_every_field_slack_sends(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, seen = demo
    emu.person(HELPDESK_USER).slash("/demo", "nothing at all", channel=HELPDESK_CHANNEL)
    body = seen.commands[0]
    assert set(body) >= {
        "token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name", "command",
        "text", "api_app_id", "is_enterprise_install", "response_url", "trigger_id",
    }  # fmt: skip
    assert (body["command"], body["text"], body["channel_name"]) == ("/demo", "nothing at all", "helpdesk")
    assert (body["user_id"], body["user_name"]) == (HELPDESK_USER, "helen")
    assert body["response_url"].startswith(emu.api_url.removesuffix("api/") + "response/")
