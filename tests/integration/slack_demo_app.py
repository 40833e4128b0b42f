"""A tiny real Bolt app that drives the Slack emulator in its own tests: one listener per Slack
behaviour under test, recording what it received in `Seen`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App, BoltRequest, BoltResponse, Respond
from slack_sdk import WebClient

from console import Message, SlackEmulator, ViewHandle
from tests.support.slack import (
    BOT_TOKEN,
    HELPDESK_CHANNEL,
    HELPDESK_USER,
    SIGNING_SECRET,
    seed_helpdesk,
    serve_bolt_app,
)

JSON = dict[str, Any]


def plain(text: str) -> JSON:
    return {"type": "plain_text", "text": text}


def option(text: str, value: str) -> JSON:
    return {"text": plain(text), "value": value}


def text_input(block_id: str, label: str, *, kind: str = "plain_text_input", optional: bool = False) -> JSON:
    element: JSON = {"type": kind, "action_id": "value"}
    if kind == "number_input":
        element["is_decimal_allowed"] = False
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": plain(label),
        "element": element,
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
    app = App(signing_secret=SIGNING_SECRET, client=client)

    @app.middleware
    def slow_down(body: JSON, next: Callable[[], BoltResponse]) -> BoltResponse:
        # Before the listener, so Bolt's own 3 s wait for ack() does not cut it short.
        if body.get("text") == "slow":
            time.sleep(3.1)
        return next()

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
        elif word == "menu":
            ack(text="Menu", blocks=created_message("Menu"))
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
                channel=view["private_metadata"],
                text=f"Created {first_name}",
                blocks=created_message(first_name),
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


@contextmanager
def running_demo(emulator: SlackEmulator) -> Iterator[Seen]:
    """The demo app served on a free port, the emulator's events_url pointing at it."""
    seed_helpdesk(emulator)
    seen = Seen()
    with serve_bolt_app(build_demo_app(emulator, seen)) as events_url:
        emulator.events_url = events_url
        yield seen


def open_form(emu: SlackEmulator) -> ViewHandle:
    helen = emu.person(HELPDESK_USER)
    out = helen.slash("/demo", "open", channel=HELPDESK_CHANNEL)
    assert out.status == 200
    assert out.ephemeral is None
    return helen.wait_for_view(callback_id="demo_form")


def post_created(emu: SlackEmulator, name: str) -> Message:
    emu.client().chat_postMessage(
        channel=HELPDESK_CHANNEL, text=f"Created {name}", blocks=created_message(name)
    )
    return emu.channel(HELPDESK_CHANNEL).last_message()
