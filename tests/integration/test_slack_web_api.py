"""The emulator's Web API as slack_sdk sees it: auth, argument encodings, Slack's errors, faults,
views and trigger_ids, and the response_url endpoint."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from console import SlackEmulator
from tests.integration.slack_demo_app import (
    Seen,
    done_view,
    form_view,
    open_form,
    plain,
    post_created,
    running_demo,
    settings_view,
)
from tests.support import slack
from tests.support.slack import (
    BOT_TOKEN,
    HELPDESK_CHANNEL,
    HELPDESK_GROUP,
    HELPDESK_USER,
    OTHER_HELPDESK_USER,
    seed_helpdesk,
)

slack_emulator = slack.slack_emulator  # the fixture, by its name


@pytest.fixture
def demo(slack_emulator: SlackEmulator) -> Iterator[tuple[SlackEmulator, Seen]]:
    with running_demo(slack_emulator) as seen:
        yield slack_emulator, seen


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


def test_views_open_from_inside_a_modal_is_flagged(demo: tuple[SlackEmulator, Seen]) -> None:
    emu, _ = demo
    modal = open_form(emu)
    out = modal.choose("role", "administrator")  # an interaction inside the modal: a trigger_id from it
    assert out is not None
    assert out.trigger_id is not None
    emu.client().views_open(trigger_id=out.trigger_id, view=done_view("second modal"))
    assert emu.take_problems() == [
        f"views.open: trigger_id from an interaction in modal {modal.id}; "
        "use views.push or response_action (update/push) instead"
    ]
    assert [v["callback_id"] for v in emu.modal_stack(HELPDESK_USER)] == ["done"]
