"""The Slack emulator against a tiny real Bolt app: signatures Bolt accepts, payloads Bolt routes,
Web API answers slack_sdk understands, and the Slack behaviours the bot relies on."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from slack_bolt import Ack, App, BoltRequest, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.console import Message, SlackEmulator, ViewHandle
from tests.support import slack
from tests.support.slack import (
    BOT_TOKEN,
    HELPDESK_CHANNEL,
    HELPDESK_GROUP,
    HELPDESK_USER,
    OTHER_HELPDESK_USER,
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


@pytest.fixture
def demo(slack_emulator: SlackEmulator) -> Iterator[tuple[SlackEmulator, Seen]]:
    seed_helpdesk(slack_emulator)
    seen = Seen()
    with serve_bolt_app(build_demo_app(slack_emulator, seen)) as events_url:
        slack_emulator.events_url = events_url
        yield slack_emulator, seen


# --- signatures and retries ---------------------------------------------------------------------


def test_bolt_accepts_the_emulator_signature_and_rejects_bad_or_stale_ones(
    demo: tuple[SlackEmulator, Seen],
) -> None:
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


# --- modals through the driver ------------------------------------------------------------------


def open_form(emu: SlackEmulator) -> ViewHandle:
    helen = emu.person(HELPDESK_USER)
    out = helen.slash("/demo", "open", channel=HELPDESK_CHANNEL)
    assert out.status == 200
    assert out.ephemeral is None
    return helen.wait_for_view(callback_id="demo_form")


def test_views_open_gives_the_view_slack_ids_hash_and_initial_state(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, _ = demo
    modal = open_form(emu)
    view = modal.view
    assert view["id"].startswith("V")
    assert view["root_view_id"] == view["id"]
    assert view["previous_view_id"] is None
    assert (view["app_id"], view["bot_id"], view["team_id"]) == (
        emu.identity.app_id, emu.identity.bot_id, emu.identity.team_id,
    )  # fmt: skip
    assert view["hash"]
    values = view["state"]["values"]
    assert values["role"]["role_select"]["selected_option"]["value"] == "user"
    assert values["first_name"]["value"] == {"type": "plain_text_input", "value": None}
    assert values["services"]["value"] == {"type": "checkboxes", "selected_options": []}
    assert modal.title == "Add New User"
    call = emu.calls("views.open")[-1]
    assert call.ok
    assert call.response["view"]["id"] == view["id"]


def test_submit_with_errors_keeps_the_view_and_what_was_typed_then_corrected_submit_closes(
    demo: tuple[SlackEmulator, Seen],
) -> None:
    emu, seen = demo
    modal = open_form(emu)
    modal.fill("first_name", "bad")
    modal.fill("email", "john@example.com")
    result = modal.submit()
    assert result.status == 200
    assert result.errors == {"first_name": "Not a real name"}
    assert not result.closed
    assert result.view is not None
    assert result.view.id == modal.id
    assert modal.errors == {"first_name": "Not a real name"}
    assert modal.value("email") == "john@example.com"
    submitted = seen.submissions[-1]
    assert submitted["type"] == "view_submission"
    assert submitted["response_urls"] == []
    assert submitted["view"]["state"]["values"]["first_name"]["value"]["value"] == "bad"

    modal.fill("first_name", "John")
    result = modal.submit()
    assert result.errors is None
    assert result.closed
    assert result.view is None
    assert emu.modal_stack(HELPDESK_USER) == []
    message = emu.channel(HELPDESK_CHANNEL).wait_for_message(lambda m: m.text == "Created John")
    assert [b.action_id for b in message.buttons()] == ["activate", "assign"]


def test_the_slack_client_refuses_to_submit_empty_required_fields_and_bad_emails(
    demo: tuple[SlackEmulator, Seen],
) -> None:
    emu, seen = demo
    modal = open_form(emu)
    modal.fill("email", "not-an-email")
    result = modal.submit()
    assert result.delivery is None
    assert result.status is None
    assert result.client_errors == result.errors
    assert set(result.errors or {}) == {"first_name", "email"}
    assert seen.submissions == []


def test_response_action_push_then_clear_closes_the_whole_stack(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, _ = demo
    modal = open_form(emu)
    modal.fill("first_name", "John")
    modal.fill("email", "john@example.com")
    modal.tick("services", ["backup"])
    result = modal.submit()
    assert result.errors is None
    assert not result.closed
    settings = result.view
    assert settings is not None
    assert settings.callback_id == "backup_settings"
    assert settings.view["previous_view_id"] == modal.id
    assert settings.view["root_view_id"] == modal.id
    assert [v["callback_id"] for v in emu.modal_stack(HELPDESK_USER)] == ["demo_form", "backup_settings"]
    settings.fill("quota", "250")
    done = settings.submit()
    assert done.closed
    assert done.view is None
    assert emu.modal_stack(HELPDESK_USER) == []


def test_response_action_update_replaces_the_view_in_place(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, _ = demo
    modal = open_form(emu)
    old_hash = modal.hash
    modal.fill("first_name", "John")
    modal.fill("email", "john@example.com")
    modal.fill("note", "update")
    result = modal.submit()
    assert result.view is not None
    assert result.view.id == modal.id
    assert modal.callback_id == "done"
    assert modal.hash != old_hash
    assert "Created John" in modal.all_text()


def test_response_action_errors_naming_a_block_that_is_no_input_is_a_problem(
    demo: tuple[SlackEmulator, Seen],
) -> None:
    emu, _ = demo
    modal = open_form(emu)
    modal.fill("first_name", "stray")
    modal.fill("email", "john@example.com")
    result = modal.submit()
    assert result.errors is None
    assert result.problems
    problems = emu.take_problems()
    assert len(problems) == 1
    assert "no_such_block" in problems[0]
    assert modal.errors == {}


def test_dispatch_action_select_sends_block_actions_and_views_update_keeps_typed_input(
    demo: tuple[SlackEmulator, Seen],
) -> None:
    emu, seen = demo
    modal = open_form(emu)
    modal.fill("first_name", "John")
    assert seen.actions == []  # a plain input without dispatch_action sends nothing
    out = modal.choose("role", "administrator")
    assert out is not None
    assert out.status == 200
    action_body = seen.actions[-1]
    assert action_body["type"] == "block_actions"
    assert action_body["container"] == {"type": "view", "view_id": modal.id}
    action = action_body["actions"][0]
    assert (action["type"], action["block_id"], action["action_id"]) == (
        "static_select",
        "role",
        "role_select",
    )
    assert action["selected_option"]["value"] == "administrator"
    assert action_body["view"]["state"]["values"]["first_name"]["value"]["value"] == "John"

    modal.wait_for_update()
    assert modal.has_block("address")
    assert modal.value("first_name") == "John"  # same block_id and action_id: kept
    assert modal.value("role") == "administrator"
    assert modal.value("address") is None


def test_view_closed_is_sent_only_for_views_with_notify_on_close(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, seen = demo
    modal = open_form(emu)
    modal.fill("first_name", "John")
    modal.fill("email", "john@example.com")
    modal.tick("services", ["backup"])
    settings = modal.submit().view
    assert settings is not None
    assert settings.close() is None  # backup_settings has no notify_on_close
    assert seen.closed == []
    closed = modal.close()
    assert closed is not None
    assert closed.status == 200
    assert seen.closed[0]["type"] == "view_closed"
    assert seen.closed[0]["is_cleared"] is False
    assert seen.closed[0]["view"]["id"] == modal.id
    assert emu.modal_stack(HELPDESK_USER) == []


# --- slash command acks and timing --------------------------------------------------------------


def test_a_slash_command_ack_body_is_shown_as_ephemeral_or_in_channel(
    demo: tuple[SlackEmulator, Seen],
) -> None:
    emu, _ = demo
    helen = emu.person(HELPDESK_USER)
    quiet = helen.slash("/demo", "say", channel=HELPDESK_CHANNEL)
    assert quiet.ephemeral is not None
    assert quiet.ephemeral.text == "Only you can see this"
    assert [e.text for e in emu.ephemerals(user=HELPDESK_USER, channel=HELPDESK_CHANNEL)] == [
        "Only you can see this"
    ]
    assert emu.channel(HELPDESK_CHANNEL).messages() == []
    loud = helen.slash("/demo", "loud", channel=HELPDESK_CHANNEL)
    assert loud.message is not None
    assert loud.ephemeral is None
    assert emu.channel(HELPDESK_CHANNEL).last_message().text == "Everyone sees this"


def test_an_ack_body_breaking_a_limit_is_recorded(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, _ = demo
    out = emu.person(HELPDESK_USER).slash("/demo", "huge", channel=HELPDESK_CHANNEL)
    assert out.ephemeral is None
    assert out.problems
    assert emu.take_problems() == ["/demo huge: ack: blocks[0].text.text: 151 characters > 150 (header.text)"]


def test_an_ack_slower_than_three_seconds_is_a_problem(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, _ = demo
    out = emu.person(HELPDESK_USER).slash("/demo", "slow", channel=HELPDESK_CHANNEL)
    assert out.status == 200
    assert out.elapsed_ms > 3000
    problems = emu.take_problems()
    assert len(problems) == 1
    assert "ack took" in problems[0]
    assert "/demo slow" in problems[0]


def test_an_unhandled_request_is_a_problem(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, _ = demo
    out = emu.person(HELPDESK_USER).slash("/unknown", "", channel=HELPDESK_CHANNEL)
    assert out.status == 404
    assert emu.take_problems() == ["/unknown: the app answered HTTP 404 (Slack shows an error)"]


# --- message buttons and response_url -----------------------------------------------------------


def post_created(emu: SlackEmulator, name: str) -> Message:
    emu.client().chat_postMessage(
        channel=HELPDESK_CHANNEL, text=f"Created {name}", blocks=created_message(name)
    )
    return emu.channel(HELPDESK_CHANNEL).last_message()


def test_a_message_button_sends_block_actions_with_message_channel_and_response_url(
    demo: tuple[SlackEmulator, Seen],
) -> None:
    emu, seen = demo
    message = post_created(emu, "John")
    out = emu.person(HELPDESK_USER).click(message, "activate")
    assert out.status == 200
    body = seen.actions[-1]
    assert body["container"] == {
        "type": "message", "message_ts": message.ts, "channel_id": HELPDESK_CHANNEL, "is_ephemeral": False,
    }  # fmt: skip
    assert body["channel"] == {"id": HELPDESK_CHANNEL, "name": "helpdesk"}
    assert body["message"]["ts"] == message.ts
    assert body["message"]["bot_id"] == emu.identity.bot_id
    assert body["actions"][0]["value"] == "John"
    assert body["actions"][0]["block_id"] == "user_actions"
    assert body["trigger_id"] == out.trigger_id

    emu.wait_until(lambda: emu.channel(HELPDESK_CHANNEL).last_message().edited)
    current = emu.channel(HELPDESK_CHANNEL).last_message()
    assert current.ts == message.ts
    assert current.text == "John activated"
    assert current.buttons() == []
    ephemeral = emu.wait_until(lambda: emu.ephemerals(user=HELPDESK_USER))
    assert ephemeral[0].text == "You activated John"
    assert ephemeral[0].source == "response_url"
    assert emu.response_posts()[0].payload["replace_original"] is False


def test_response_url_replace_original_replaces_the_clicked_message(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, _ = demo
    message = post_created(emu, "John")
    emu.person(HELPDESK_USER).click(message, "assign")
    emu.wait_until(lambda: emu.channel(HELPDESK_CHANNEL).last_message().text == "Assigned")
    assert emu.channel(HELPDESK_CHANNEL).last_message().ts == message.ts


# --- Web API behaviour --------------------------------------------------------------------------


def test_auth_is_checked_like_slack(slack_emulator: SlackEmulator) -> None:
    with pytest.raises(SlackApiError) as missing:
        WebClient(base_url=slack_emulator.api_url).auth_test()
    assert missing.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as wrong:
        WebClient(token="xoxb-wrong", base_url=slack_emulator.api_url).auth_test()
    assert wrong.value.response["error"] == "invalid_auth"
    identity = slack_emulator.client().auth_test()
    assert (identity["user_id"], identity["bot_id"]) == (
        slack_emulator.identity.bot_user_id, slack_emulator.identity.bot_id,
    )  # fmt: skip


def test_token_as_form_argument_and_blocks_as_json_string_are_accepted(slack_emulator: SlackEmulator) -> None:
    seed_helpdesk(slack_emulator)
    form = {
        "token": BOT_TOKEN,
        "channel": HELPDESK_CHANNEL,
        "text": "hello",
        "blocks": json.dumps([{"type": "divider"}]),
    }
    answer = httpx.post(slack_emulator.api_url + "chat.postMessage", data=form).json()
    assert answer["ok"] is True
    assert slack_emulator.calls("chat.postMessage")[0].args["blocks"][0]["type"] == "divider"
    assert "token" not in slack_emulator.calls("chat.postMessage")[0].args
    query = httpx.get(
        slack_emulator.api_url + "users.info", params={"token": BOT_TOKEN, "user": HELPDESK_USER}
    )
    assert query.json()["user"]["profile"]["email"] == "helen@msp.example"


def test_posting_needs_membership_and_a_user_id_means_the_bots_dm(slack_emulator: SlackEmulator) -> None:
    seed_helpdesk(slack_emulator)
    slack_emulator.add_channel("C0PUBLIC", name="random", members=[HELPDESK_USER], bot_is_member=False)
    slack_emulator.add_channel(
        "C0SECRET", name="secret", members=[HELPDESK_USER], bot_is_member=False, is_private=True
    )
    client = slack_emulator.client()
    with pytest.raises(SlackApiError) as public:
        client.chat_postMessage(channel="C0PUBLIC", text="hi")
    assert public.value.response["error"] == "not_in_channel"
    with pytest.raises(SlackApiError) as private:
        client.chat_postMessage(channel="C0SECRET", text="hi")
    assert private.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as empty, pytest.warns(UserWarning, match="text"):
        client.chat_postMessage(channel=HELPDESK_CHANNEL)
    assert empty.value.response["error"] == "no_text"

    dm = client.chat_postMessage(channel=HELPDESK_USER, text="Your report is ready")
    assert dm["channel"].startswith("D")
    assert client.conversations_open(users=HELPDESK_USER)["channel"]["id"] == dm["channel"]
    assert slack_emulator.dm_channel(HELPDESK_USER).last_message().text == "Your report is ready"


def test_chat_update_and_delete_need_an_existing_message(slack_emulator: SlackEmulator) -> None:
    seed_helpdesk(slack_emulator)
    client = slack_emulator.client()
    with pytest.raises(SlackApiError) as missing:
        client.chat_update(channel=HELPDESK_CHANNEL, ts="1700000000.000100", text="x")
    assert missing.value.response["error"] == "message_not_found"
    posted = client.chat_postMessage(channel=HELPDESK_CHANNEL, text="first")
    updated = client.chat_update(channel=HELPDESK_CHANNEL, ts=posted["ts"], text="second")
    assert updated["ts"] == posted["ts"]
    assert updated["message"]["text"] == "second"
    client.chat_delete(channel=HELPDESK_CHANNEL, ts=posted["ts"])
    assert slack_emulator.channel(HELPDESK_CHANNEL).messages() == []


def test_blocks_breaking_a_limit_are_invalid_blocks_and_recorded(slack_emulator: SlackEmulator) -> None:
    seed_helpdesk(slack_emulator)
    button = {"type": "button", "action_id": "go", "text": plain("x" * 76)}
    with pytest.raises(SlackApiError) as invalid:
        slack_emulator.client().chat_postMessage(
            channel=HELPDESK_CHANNEL, text="t", blocks=[{"type": "actions", "elements": [button]}]
        )
    assert invalid.value.response["error"] == "invalid_blocks"
    expected = "blocks[0].elements[0].text.text: 76 characters > 75 (button.text)"
    assert invalid.value.response["response_metadata"]["messages"] == [f"[ERROR] {expected}"]
    assert slack_emulator.take_problems() == [f"chat.postMessage: {expected}"]
    assert slack_emulator.channel(HELPDESK_CHANNEL).messages() == []


def test_rate_limit_fault_with_retry_after_is_retried_by_slack_sdk(slack_emulator: SlackEmulator) -> None:
    seed_helpdesk(slack_emulator)
    slack_emulator.fail_next("chat.postMessage", http_status=429, retry_after=1)
    client = slack_emulator.client(retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    started = time.monotonic()
    answer = client.chat_postMessage(channel=HELPDESK_CHANNEL, text="eventually")
    assert answer["ok"]
    assert time.monotonic() - started >= 1.0
    calls = slack_emulator.calls("chat.postMessage")
    assert [(c.http_status, c.error) for c in calls] == [(429, "ratelimited"), (200, None)]
    assert [m.text for m in slack_emulator.channel(HELPDESK_CHANNEL).messages()] == ["eventually"]


def test_server_errors_and_ok_false_faults(slack_emulator: SlackEmulator) -> None:
    seed_helpdesk(slack_emulator)
    slack_emulator.fail_next("users.info", http_status=500, times=2)
    slack_emulator.fail_next("users.info", error="account_inactive")
    client = slack_emulator.client()
    for _ in range(2):
        with pytest.raises(SlackApiError) as server_error:
            client.users_info(user=HELPDESK_USER)
        assert server_error.value.response.status_code == 500
    with pytest.raises(SlackApiError) as inactive:
        client.users_info(user=HELPDESK_USER)
    assert inactive.value.response["error"] == "account_inactive"
    assert client.users_info(user=HELPDESK_USER)["user"]["name"] == "helen"


def test_directory_methods_answer_in_slacks_shapes(slack_emulator: SlackEmulator) -> None:
    seed_helpdesk(slack_emulator)
    client = slack_emulator.client()
    user = client.users_info(user=HELPDESK_USER)["user"]
    assert (user["id"], user["name"], user["real_name"], user["is_bot"]) == (
        HELPDESK_USER,
        "helen",
        "Helen Desk",
        False,
    )
    assert user["profile"]["email"] == "helen@msp.example"
    assert user["profile"]["display_name"] == "Helen"
    assert client.usergroups_users_list(usergroup=HELPDESK_GROUP)["users"] == [
        HELPDESK_USER,
        OTHER_HELPDESK_USER,
    ]
    channel = client.conversations_info(channel=HELPDESK_CHANNEL)["channel"]
    assert (channel["name"], channel["is_member"], channel["is_private"]) == ("helpdesk", True, False)
    failing: list[tuple[Callable[[], object], str]] = [
        (lambda: client.users_info(user="U0NOBODY"), "user_not_found"),
        (lambda: client.usergroups_users_list(usergroup="S0NOGROUP"), "no_such_subteam"),
        (lambda: client.conversations_info(channel="C0NOWHERE"), "channel_not_found"),
    ]
    for call, error in failing:
        with pytest.raises(SlackApiError) as failed:
            call()
        assert failed.value.response["error"] == error


# --- views through the Web API ------------------------------------------------------------------


def test_trigger_ids_expire_after_three_seconds_and_work_once(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, _ = demo
    helen = emu.person(HELPDESK_USER)
    client = emu.client()
    view = form_view(HELPDESK_CHANNEL)
    with pytest.raises(SlackApiError) as unknown:
        client.views_open(trigger_id="123.456.nope", view=view)
    assert unknown.value.response["error"] == "invalid_trigger_id"

    late = helen.slash("/demo", "nothing", channel=HELPDESK_CHANNEL)
    emu.advance(3.1)
    with pytest.raises(SlackApiError) as expired:
        client.views_open(trigger_id=late.trigger_id, view=view)
    assert expired.value.response["error"] == "expired_trigger_id"

    fresh = helen.slash("/demo", "nothing", channel=HELPDESK_CHANNEL)
    emu.advance(2.5)
    client.views_open(trigger_id=fresh.trigger_id, view=view)
    with pytest.raises(SlackApiError) as reused:
        client.views_open(trigger_id=fresh.trigger_id, view=view)
    assert reused.value.response["error"] == "exchanged_trigger_id"


def test_views_push_needs_an_open_modal_and_stops_at_three(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, _ = demo
    helen = emu.person(HELPDESK_USER)
    client = emu.client()
    with pytest.raises(SlackApiError) as nothing_open:
        client.views_push(trigger_id=helen.slash("/demo", "nothing").trigger_id, view=settings_view())
    assert nothing_open.value.response["error"] == "invalid_arguments"
    client.views_open(trigger_id=helen.slash("/demo", "nothing").trigger_id, view=form_view(HELPDESK_CHANNEL))
    for _ in range(2):
        client.views_push(trigger_id=helen.slash("/demo", "nothing").trigger_id, view=settings_view())
    with pytest.raises(SlackApiError) as limit:
        client.views_push(trigger_id=helen.slash("/demo", "nothing").trigger_id, view=settings_view())
    assert limit.value.response["error"] == "push_limit_reached"
    assert len(emu.modal_stack(HELPDESK_USER)) == 3


def test_views_update_checks_hash_and_finds_views_by_external_id(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, _ = demo
    modal = open_form(emu)
    client = emu.client()
    stale = modal.hash
    client.views_update(view_id=modal.id, hash=stale, view=form_view(HELPDESK_CHANNEL, admin=True))
    assert modal.hash != stale
    with pytest.raises(SlackApiError) as conflict:
        client.views_update(view_id=modal.id, hash=stale, view=form_view(HELPDESK_CHANNEL))
    assert conflict.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as missing:
        client.views_update(view_id="V0NOTHERE", view=form_view(HELPDESK_CHANNEL))
    assert missing.value.response["error"] == "not_found"

    with_external = {**done_view("first"), "external_id": "job-42"}
    client.views_update(view_id=modal.id, view=with_external)
    client.views_update(external_id="job-42", view={**done_view("second"), "external_id": "job-42"})
    assert modal.callback_id == "done"
    assert "second" in modal.all_text()


def test_an_invalid_view_is_refused_and_recorded(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, _ = demo
    trigger_id = emu.person(HELPDESK_USER).slash("/demo", "nothing").trigger_id
    too_long = {**form_view(HELPDESK_CHANNEL), "title": plain("Send Enrollment Invitation")}
    with pytest.raises(SlackApiError) as invalid:
        emu.client().views_open(trigger_id=trigger_id, view=too_long)
    assert invalid.value.response["error"] == "invalid_arguments"
    assert emu.take_problems() == ["views.open: title.text: 26 characters > 24 (view.title)"]
    assert emu.modal_stack(HELPDESK_USER) == []


# --- App Home -----------------------------------------------------------------------------------


def test_app_home_opened_then_views_publish_and_a_home_button(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, seen = demo
    helen = emu.person(HELPDESK_USER)
    assert emu.home_view(HELPDESK_USER) is None
    assert helen.open_home().status == 200
    home = helen.wait_for_home()
    event = seen.home_events[0]
    assert event["type"] == "event_callback"
    assert event["event_id"].startswith("Ev")
    assert event["event"]["type"] == "app_home_opened"
    assert event["event"]["tab"] == "home"
    assert "view" not in event["event"]
    assert "Refreshed 0 times" in home.all_text()

    first_hash = home.hash
    assert home.click("refresh").status == 200
    assert seen.actions[-1]["container"] == {"type": "view", "view_id": home.id}
    assert seen.actions[-1]["view"]["type"] == "home"
    home.wait_for_update()
    assert home.hash != first_hash
    assert "Refreshed 1 times" in home.all_text()

    helen.open_home()
    emu.wait_until(lambda: len(seen.home_events) == 2)
    assert seen.home_events[1]["event"]["view"]["id"] == home.id


def test_a_button_in_an_ephemeral_message_and_replace_original(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, seen = demo
    helen = emu.person(HELPDESK_USER)
    shown = helen.slash("/demo", "menu", channel=HELPDESK_CHANNEL).ephemeral
    assert shown is not None
    assert [b.action_id for b in shown.buttons()] == ["activate", "assign"]
    assert helen.click(shown, "assign").status == 200
    assert seen.actions[-1]["container"]["is_ephemeral"] is True
    assert "message" not in seen.actions[-1]
    emu.wait_until(lambda: emu.ephemerals(user=HELPDESK_USER)[0].text == "Assigned")
    assert emu.ephemerals(user=HELPDESK_USER)[0].buttons() == []
    with pytest.raises(LookupError):
        emu.person(OTHER_HELPDESK_USER).click(shown, "assign")


def test_response_url_posts_are_validated_deleted_and_limited_to_five(
    demo: tuple[SlackEmulator, Seen],
) -> None:
    emu, seen = demo
    emu.person(HELPDESK_USER).slash("/demo", "nothing", channel=HELPDESK_CHANNEL)
    url = seen.commands[0]["response_url"]
    bad = httpx.post(url, json={"blocks": [{"type": "header", "text": plain("x" * 151)}]})
    assert (bad.status_code, bad.text) == (400, "invalid_blocks")
    assert emu.take_problems() == ["response_url: blocks[0].text.text: 151 characters > 150 (header.text)"]
    loud = httpx.post(url, json={"text": "for all", "response_type": "in_channel"})
    assert (loud.status_code, loud.text) == (200, "ok")
    assert emu.channel(HELPDESK_CHANNEL).last_message().text == "for all"
    for _ in range(3):
        assert httpx.post(url, json={"text": "just you"}).status_code == 200
    assert [e.text for e in emu.ephemerals(user=HELPDESK_USER)] == ["just you"] * 3
    sixth = httpx.post(url, json={"text": "again"})
    assert (sixth.status_code, sixth.text) == (404, "used_url")
    assert emu.take_problems() == ["response_url: used more than 5 times"]

    message = post_created(emu, "Jane")
    emu.person(HELPDESK_USER).click(message, "activate")
    click_url = seen.actions[-1]["response_url"]
    emu.wait_until(lambda: len(emu.response_posts()) >= 7)
    assert httpx.post(click_url, json={"delete_original": True}).status_code == 200
    assert message.ts not in [m.ts for m in emu.channel(HELPDESK_CHANNEL).messages()]
