"""The Slack emulator driving a tiny real Bolt app: signatures Bolt accepts, payloads Bolt routes,
modals, acks, message buttons and App Home as Slack handles them."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from console import SlackEmulator
from tests.integration.slack_demo_app import (
    Seen,
    open_form,
    post_created,
    running_demo,
)
from tests.support import slack
from tests.support.slack import (
    HELPDESK_CHANNEL,
    HELPDESK_USER,
    OTHER_HELPDESK_USER,
)

slack_emulator = slack.slack_emulator  # the fixture, by its name


@pytest.fixture
def demo(slack_emulator: SlackEmulator) -> Iterator[tuple[SlackEmulator, Seen]]:
    with running_demo(slack_emulator) as seen:
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
