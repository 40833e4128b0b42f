"""The offline console over HTTP, without a browser: one server routing /console to the console and
the rest to the bot, the regions API, what typing and acting do, the guards, the e-mail preview."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.integrations.mail.port import OutgoingEmail
from deskops.offline import (
    APPROVALS_CHANNEL,
    APPROVER,
    GENERAL_CHANNEL,
    HELPDESK_CHANNEL,
    HELPDESK_GROUP,
    HELPDESK_PERSON,
    OfflineConsole,
)
from tests.browser.console_server import running_console
from tests.support.app import wait_until

HELPDESK = f"channel:{HELPDESK_CHANNEL}"


@pytest.fixture(scope="module")
def console(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite_template: Path
) -> Iterator[OfflineConsole]:
    with running_console(tmp_path_factory.mktemp("console-api"), migrated_sqlite_template) as running:
        yield running


@pytest.fixture
def http(console: OfflineConsole) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=console.base_url, timeout=10, trust_env=False) as client:
        yield client


def regions(http: httpx.Client, place: str = HELPDESK, user: str = HELPDESK_PERSON) -> dict[str, Any]:
    answer = http.get("/console/api/state", params={"user": user, "place": place})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()["regions"]
    return found


def post(http: httpx.Client, path: str, **body: Any) -> dict[str, Any]:
    answer = http.post(f"/console/api/{path}", json={"user": HELPDESK_PERSON, **body})
    result: dict[str, Any] = answer.json()
    assert answer.status_code == 200 and result["ok"], result
    return result


def wait_for(http: httpx.Client, region: str, text: str, place: str = HELPDESK) -> str:
    html: str = wait_until(
        lambda: (found := regions(http, place)[region]["html"]) and text in found and found,
        what=f"{text!r} in the {region} region",
    )
    return html


def test_one_server_for_the_bot_the_console_and_the_emulated_web_api(
    console: OfflineConsole, http: httpx.Client
) -> None:
    assert http.get("/").headers["location"].endswith("/console")
    assert http.get("/healthz").json() == {"status": "ok"}
    page = http.get("/console")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert "Helen Desk" in page.text and "Sam Sales" in page.text and "127.0.0.1" in page.text
    assert "/backup add [customer]" in page.text  # slash-command suggestions from app.yaml
    assert http.get("/console/static/console.js").status_code == 200
    # The bot talks to the emulator mounted in this same server, with this run's own secrets.
    assert (
        console.settings.slack_api_url == console.emulator.api_url == f"{console.base_url}/console/slack/api/"
    )
    assert console.emulator.client().auth_test()["team"] == "Deskops MSP"
    assert console.settings.public_url == console.base_url
    assert console.settings.helpdesk_users == [HELPDESK_GROUP]
    assert console.emulator.events_url == f"{console.base_url}/slack/events"


def test_regions_come_with_keys_and_only_when_changed(http: httpx.Client) -> None:
    first = http.get(
        "/console/api/state", params={"user": HELPDESK_PERSON, "place": f"channel:{GENERAL_CHANNEL}"}
    )
    state = first.json()
    assert set(state["regions"]) == {"nav", "main", "modal", "problems"}
    assert "#" in state["regions"]["main"]["html"] and "general" in state["regions"]["main"]["html"]
    again = http.get(
        "/console/api/state",
        params={"user": HELPDESK_PERSON, "place": f"channel:{GENERAL_CHANNEL}", "v": state["version"]},
    )
    assert again.json() == {"version": state["version"]}
    post(http, "type", channel=GENERAL_CHANNEL, text="<b>lunch</b> & coffee?")
    after = regions(http, f"channel:{GENERAL_CHANNEL}")
    assert after["nav"]["key"] == state["regions"]["nav"]["key"]
    assert after["main"]["key"] != state["regions"]["main"]["key"]
    assert "&lt;b&gt;lunch&lt;/b&gt; &amp; coffee?" in after["main"]["html"]


def test_slash_commands_and_ephemeral_answers(console: OfflineConsole, http: httpx.Client) -> None:
    unknown = post(http, "type", channel=HELPDESK_CHANNEL, text="/nope do it")
    assert unknown["notice"] == "/nope is not a valid command. This app's commands: /backup, /enroll."
    post(http, "type", channel=HELPDESK_CHANNEL, text="/backup help")
    html = wait_for(http, "main", "Only visible to you")
    assert "<code>/backup add [customer]</code>" in html
    [help_answer] = [e for e in console.emulator.ephemerals(user=HELPDESK_PERSON) if "/backup help" in e.text]
    post(http, "dismiss", ephemeral=help_answer.id)
    assert "<code>/backup add [customer]</code>" not in regions(http)["main"]["html"]


def test_a_modal_through_the_api(console: OfflineConsole, http: httpx.Client) -> None:
    post(http, "type", channel=HELPDESK_CHANNEL, text="/backup add Acme")
    wait_for(http, "modal", "Add New User")
    [view] = console.emulator.modal_stack(HELPDESK_PERSON)
    # Submitting with required fields empty: the Slack client refuses, the app hears nothing.
    post(http, "submit", view=view["id"], values={})
    html = regions(http)["modal"]["html"]
    assert html.count("Please complete this required field.") == 3
    # Choosing Administrator sends block_actions with what was typed; the app reshapes the modal.
    typed = {"first_name": {"first_name": "Ada"}, "last_name": {"last_name": "Lovelace"}}
    post(
        http,
        "act",
        surface="view",
        view=view["id"],
        block_id="role",
        action_id="backup.add_user.role",
        chosen="administrator",
        values=typed,
    )
    html = wait_for(http, "modal", ">Phone<")
    assert 'value="Ada"' in html and 'value="Lovelace"' in html
    assert "Please complete this required field." not in html  # the update cleared the old errors
    post(http, "close", view=view["id"])
    assert regions(http)["modal"]["html"] == ""


def test_requests_from_elsewhere_are_refused(http: httpx.Client, console: OfflineConsole) -> None:
    form = http.post(
        "/console/api/type", data={"user": HELPDESK_PERSON, "channel": HELPDESK_CHANNEL, "text": "hi"}
    )
    assert form.status_code == 415
    foreign = http.post(
        "/console/api/type",
        json={"user": HELPDESK_PERSON, "channel": HELPDESK_CHANNEL, "text": "hi"},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    rebound = http.get(
        "/console/api/state", params={"user": HELPDESK_PERSON}, headers={"Host": "evil.example"}
    )
    assert rebound.status_code == 403
    assert http.get("/console", headers={"Host": "evil.example:3000"}).status_code == 403
    nobody = http.post(
        "/console/api/type", json={"user": "U0NOBODY", "channel": HELPDESK_CHANNEL, "text": "x"}
    )
    assert nobody.status_code == 400 and "nobody" in nobody.json()["error"]
    assert (
        http.get("/console/api/state", params={"user": HELPDESK_PERSON, "place": "disk:/etc"}).status_code
        == 400
    )
    assert console.emulator.take_problems() == []


def test_outbox_lists_mail_and_previews_its_html_sandboxed(
    console: OfflineConsole, http: httpx.Client
) -> None:
    console.service.deps.mailer.send(
        OutgoingEmail(
            to="eve@example.com",
            subject="<b>Hello</b>",
            text="Visit https://example.com/welcome",
            html="<html><head></head><body><script>alert(1)</script><a href='https://example.com/welcome'>go</a></body></html>",
            message_id="console-test-1",
        )
    )
    html = wait_for(http, "main", "console-test-1.eml", place="outbox")
    assert "&lt;b&gt;Hello&lt;/b&gt;" in html
    detail = regions(http, "outbox:console-test-1.eml")["main"]["html"]
    assert (
        'href="https://example.com/welcome"' in detail
        and 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in detail
    )
    preview = http.get("/console/outbox/console-test-1.eml/html")
    assert preview.status_code == 200
    policy = preview.headers["content-security-policy"]
    assert (
        policy.startswith("sandbox allow-popups")
        and "default-src 'none'" in policy
        and "script-src" not in policy
    )
    assert '<head><base target="_blank">' in preview.text
    assert http.get("/console/outbox/..%2F..%2Fdeskops.db/html").status_code == 404
    assert http.get("/console/outbox/nothing.eml/html").status_code == 404


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("see https://example.com/a?b=1&c=2.", "see <https://example.com/a?b=1&amp;c=2>."),
        ("ask @helen or @helpdesk, @here", "ask <@U0HELEN01> or <!subteam^S0HELPDSK>, <!here>"),
        ("mail john@example.com or @nobody", "mail john@example.com or @nobody"),
        ("<@U0SAM0001> <!channel>", "&lt;@U0SAM0001&gt; &lt;!channel&gt;"),
        ("https://example.com/@helen", "<https://example.com/@helen>"),
    ],
)
def test_typed_text_becomes_mrkdwn_as_the_slack_client_makes_it(
    console: OfflineConsole, typed: str, sent: str
) -> None:
    assert console.web.actions.as_mrkdwn(typed) == sent


def test_an_administrator_waits_for_the_approver(console: OfflineConsole, http: httpx.Client) -> None:
    post(http, "type", channel=HELPDESK_CHANNEL, text="/backup add Acme")
    wait_for(http, "modal", "Add New User")
    [view] = console.emulator.modal_stack(HELPDESK_PERSON)
    typed: dict[str, Any] = {
        "first_name": {"first_name": "Alan"},
        "last_name": {"last_name": "Admin"},
        "email": {"email": "alan.admin@example.com"},
    }
    role = {"surface": "view", "view": view["id"], "block_id": "role", "action_id": "backup.add_user.role"}
    post(http, "act", **role, chosen="administrator", values=typed)
    wait_for(http, "modal", ">Phone<")
    services = {"surface": "view", "view": view["id"], "block_id": "services"}
    post(http, "act", **services, action_id="backup.add_user.services", chosen=[], values=typed)
    wait_for(http, "modal", ">Create<")
    typed |= {"address": {"address": "1 Main Street"}, "phone": {"phone": "+31 20 123 4567"}}
    post(http, "submit", view=view["id"], values=typed)
    wait_for(http, "modal", "Sent for approval")
    post(http, "close", view=console.emulator.modal_stack(HELPDESK_PERSON)[-1]["id"])

    request = console.emulator.channel(APPROVALS_CHANNEL).wait_for_message(
        lambda m: "Alan Admin" in m.all_text()
    )
    approve = request.button("approvals.approve")
    # Helen may not approve her own request; Anna, an approver, may.
    answer = {
        "surface": "message",
        "channel": APPROVALS_CHANNEL,
        "ts": request.ts,
        "block_id": approve.block_id,
    }
    post(http, "act", **answer, action_id=approve.action_id, value=approve.value)
    http.post(
        "/console/api/act",
        json={"user": APPROVER, **answer, "action_id": approve.action_id, "value": approve.value},
    )
    wait_for(http, "main", "Backup user created: Alan Admin")
    refusals = [e.text for e in console.emulator.ephemerals(user=HELPDESK_PERSON, channel=APPROVALS_CHANNEL)]
    assert any("only approvers can decide" in text for text in refusals)
    decided = wait_until(
        lambda: (
            "Approved"
            in (m := console.emulator.workspace.find_message(APPROVALS_CHANNEL, request.ts)).all_text()
            and m
        ),
        what="the request updated in place",
    )
    assert approve.action_id not in [b.action_id for b in decided.buttons()]
    html = regions(http, f"channel:{APPROVALS_CHANNEL}", user=APPROVER)["main"]["html"]
    assert "<strong>Approved</strong> by" in html and '<span class="mention">@Anna Approver</span>' in html
