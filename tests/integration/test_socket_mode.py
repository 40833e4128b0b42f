"""Socket Mode end to end: `deskops serve` with SLACK_APP_TOKEN, as a real process, against the Slack
emulator with Socket Mode on. The bot opens the WebSocket through `apps.connections.open` at
SLACK_API_URL; slash commands and modal submissions reach it as envelopes over that socket and
its acks (with their payloads: refusals, `response_action`) are what Slack shows. Nothing of
deskops is mocked; the emulator's own rules for the app-level token are checked first.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from console import SlackEmulator
from console.socketmode import SocketMode
from tests.support.deskops_process import DESKOPS, DeskopsProcess
from tests.support.paths import PROJECT_ROOT
from tests.support.slack import (
    APP_TOKEN,
    APPROVER,
    HELPDESK_CHANNEL,
    HELPDESK_GROUP,
    HELPDESK_USER,
    bot_environment,
    running_emulator,
    seed_helpdesk,
)

SAMPLE_CUSTOMERS = PROJECT_ROOT / "bot" / "sample" / "customers.yaml"
ADD_USER = "backup.add_user"
BACKUP_SETTINGS = "backup.add_user.backup_settings"


@pytest.fixture
def socket_emulator() -> Iterator[SlackEmulator]:
    """The emulator with Socket Mode on (an app-level token); fails the test on any problem."""
    with running_emulator(app_token=APP_TOKEN) as emulator:
        yield emulator


def socket_mode(emulator: SlackEmulator) -> SocketMode:
    assert emulator.socket_mode is not None
    return emulator.socket_mode


def test_the_app_level_token_opens_a_one_time_socket_and_nothing_else(socket_emulator: SlackEmulator) -> None:
    api = socket_emulator.api_url
    with pytest.raises(SlackApiError) as bot_token:
        socket_emulator.client().apps_connections_open(app_token=socket_emulator.bot_token)
    assert bot_token.value.response["error"] == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as wrong:
        WebClient(base_url=api).apps_connections_open(app_token="xapp-1-A0DESKOPS-1-wrong")
    assert wrong.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as app_token_elsewhere:
        WebClient(token=APP_TOKEN, base_url=api).chat_postMessage(channel="C0ANY", text="hi")
    assert app_token_elsewhere.value.response["error"] == "not_allowed_token_type"

    url = WebClient(base_url=api).apps_connections_open(app_token=APP_TOKEN)["url"]
    assert url.startswith("ws://127.0.0.1:") and "/link/?ticket=" in url
    with connect(url, open_timeout=5) as websocket:
        hello = json.loads(websocket.recv(timeout=5))
        assert hello["type"] == "hello" and hello["num_connections"] == 1
        assert hello["connection_info"] == {"app_id": socket_emulator.identity.app_id}
        socket_mode(socket_emulator).wait_connected(timeout=5)
        envelope_id = socket_mode(socket_emulator).push(
            "slash_commands", {"command": "/backup", "text": "help"}, accepts_response_payload=True
        )
        envelope = json.loads(websocket.recv(timeout=5))
        assert envelope == {
            "envelope_id": envelope_id,
            "payload": {"command": "/backup", "text": "help"},
            "type": "slash_commands",
            "accepts_response_payload": True,
        }
        websocket.send(json.dumps({"envelope_id": envelope_id, "payload": {"text": "usage"}}))
        ack = socket_mode(socket_emulator).wait_for_ack(envelope_id, timeout=5)
        assert ack is not None and ack.payload == {"text": "usage"}
    with pytest.raises(InvalidStatus):  # a ticket opens one connection only
        connect(url, open_timeout=5).close()


@pytest.fixture
def deskops_over_socket(socket_emulator: SlackEmulator, tmp_path: Path) -> Iterator[DeskopsProcess]:
    """`deskops serve` with SLACK_APP_TOKEN and SLACK_API_URL at the emulator, its database migrated
    and the sample customers imported; the emulator has no HTTP events URL at all."""
    seed_helpdesk(socket_emulator)
    env = {
        **bot_environment(socket_emulator),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'socket.db'}",
        "SMTP_URL": str(tmp_path / "outbox"),
        "HELPDESK_USERS": HELPDESK_GROUP,
    }
    server = DeskopsProcess(env, log_path=tmp_path / "serve.log", cwd=tmp_path)
    for step in (["db", "upgrade"], ["customers", "import", str(SAMPLE_CUSTOMERS)]):
        done = subprocess.run(
            [str(DESKOPS), *step],
            check=False,
            env=server.env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    assert socket_emulator.events_url is None
    server.start()
    try:
        yield server
    finally:
        server.stop()
        log = server.log_text()
        assert "Traceback" not in log, log
        assert APP_TOKEN not in log and socket_emulator.bot_token not in log


def test_slash_commands_and_modals_work_over_socket_mode(
    deskops_over_socket: DeskopsProcess, socket_emulator: SlackEmulator
) -> None:
    sockets = socket_mode(socket_emulator)
    sockets.wait_connected(timeout=10)
    [opened] = socket_emulator.calls("apps.connections.open")
    assert opened.ok and opened.response["url"].startswith("ws://127.0.0.1:")
    assert sockets.hellos == 1

    # A helpdesk person's /backup add: acked over the socket in time, then views.open.
    helen = socket_emulator.person(HELPDESK_USER)
    outcome = helen.slash("/backup", "add", channel=HELPDESK_CHANNEL)
    assert outcome.problems == [] and outcome.status == 200
    assert outcome.elapsed_ms < 3000
    [ack] = sockets.acks()
    assert ack.elapsed_ms < 3000
    modal = helen.wait_for_view(callback_id=ADD_USER)
    assert modal.title == "Add New User"
    assert [c.ok for c in socket_emulator.calls("views.open")] == [True]
    assert modal.has_block("customer")

    # A view_submission's answer travels in the ack's payload: the error under its field...
    modal.choose("customer", modal.block("customer")["element"]["options"][0]["value"])
    modal.fill("first_name", "John")
    modal.fill("last_name", "Doe")
    modal.fill("email", "not an address")
    refused = modal.submit()
    assert refused.problems == [] and refused.errors is not None and "email" in refused.errors
    # ...and, once it is right, the next step (response_action update) in place of the modal.
    modal.fill("email", "john.doe@example.com")
    step = modal.submit()
    assert step.errors is None and step.view is not None and step.view.callback_id == BACKUP_SETTINGS

    # Someone outside HELPDESK_USERS: the refusal is the ack's payload, shown only to them.
    outsider = socket_emulator.person(APPROVER)
    refusal = outsider.slash("/backup", "add", channel=HELPDESK_CHANNEL)
    assert refusal.problems == [] and refusal.ephemeral is not None
    assert "only helpdesk staff" in refusal.ephemeral.all_text()
    assert sockets.acks()[-1].payload is not None
    assert socket_emulator.modal_stack(APPROVER) == []
    assert [c.ok for c in socket_emulator.calls("views.open")] == [True]
