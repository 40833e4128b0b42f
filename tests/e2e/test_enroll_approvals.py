"""Enrollment under the approval policy: a large batch waits for an approver; a device beyond the
licence is recorded only once an approver agrees."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.enrollment.models import BatchState, Device, InvitationBatch
from console import SlackEmulator
from tests.e2e.backup_flows import read_eml
from tests.e2e.enroll_flows import add_result, landing_links, open_invite, search
from tests.support.app import ENROLLMENT_API_KEY
from tests.support.channels import channels_app
from tests.support.slack import APPROVALS_CHANNEL, APPROVER, HELPDESK_CHANNEL, HELPDESK_USER

pytestmark = pytest.mark.backup_provider("local")


def test_a_large_batch_waits_for_approval_then_goes_out(
    slack_emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    with channels_app(slack_emulator, database_url, tmp_path, approval_batch_size=3) as channels:
        app = channels.app
        helen = slack_emulator.person(HELPDESK_USER)
        view = open_invite(helen)
        search(view, "Sales")
        add_result(view, "Sales")  # 4 people: above the limit of 3
        view.fill("devices", "2")
        view.wait_for_update()
        assert view.submit().closed
        app.wait_for_outbox()
        assert app.eml_files() == []
        card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
        assert "Waiting for approval to send 8 invitations" in card.all_text()
        request = slack_emulator.channel(APPROVALS_CHANNEL).last_message()
        assert "Send 8 enrollment invitations to 4 people" in request.all_text()
        # The approver sees the devices each and the licences they may take (2 devices: 1 each).
        assert "Devices per person" in request.all_text()
        assert "up to 4 more licensed users if all enroll" in request.all_text()
        slack_emulator.person(APPROVER).click(request, "approvals.approve")
        app.wait_for_outbox()
        assert len(app.eml_files()) == 8
        assert "8 invitations sent" in slack_emulator.channel(HELPDESK_CHANNEL).last_message().all_text()


def test_a_rejected_batch_sends_nothing(
    slack_emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    with channels_app(slack_emulator, database_url, tmp_path, approval_batch_size=3) as channels:
        app = channels.app
        view = open_invite(slack_emulator.person(HELPDESK_USER))
        search(view, "Sales")
        add_result(view, "Sales")
        assert view.submit().closed
        app.wait_for_outbox()
        anna = slack_emulator.person(APPROVER)
        anna.click(slack_emulator.channel(APPROVALS_CHANNEL).last_message(), "approvals.reject")
        reason = anna.wait_for_view()
        block = next(b["block_id"] for b in reason.blocks if b["type"] == "input")
        reason.fill(block, "Not this week")
        assert reason.submit().closed
        app.wait_for_outbox()
        assert app.eml_files() == []
        with app.deps.db.read() as session:
            assert session.scalars(select(InvitationBatch.state)).one() is BatchState.REJECTED
        assert (
            "not sent: the request was rejected"
            in slack_emulator.channel(HELPDESK_CHANNEL).last_message().all_text()
        )


def test_a_device_beyond_the_licence_waits_for_approval(
    slack_emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    with channels_app(slack_emulator, database_url, tmp_path) as channels:
        app = channels.app
        view = open_invite(slack_emulator.person(HELPDESK_USER))
        search(view, "Jo")
        add_result(view, "John Doe")
        view.choose("platform", "ios")
        view.wait_for_update()
        view.fill("devices", "4")
        view.wait_for_update()
        assert view.submit().closed
        app.wait_for_outbox()
        tokens = [landing_links(read_eml(p))[0].rsplit("/", 1)[1] for p in app.eml_files()]
        assert len(tokens) == 4  # one invitation, one link, per device
        headers = {"Authorization": f"Bearer {ENROLLMENT_API_KEY}"}
        with app.http() as http:
            answers = [
                http.post(
                    "/api/enrollments",
                    headers=headers,
                    json={"token": tokens[n - 1], "platform": "ios", "device_id": f"ipad-{n}"},
                )
                for n, token in enumerate(tokens, start=1)
            ]
        # Three devices are John's licence; the fourth would make him a second licensed user.
        assert [a.status_code for a in answers] == [201, 201, 201, 202]
        assert answers[3].json()["status"] == "pending_approval"
        app.wait_for_outbox()
        [request] = [
            m for m in slack_emulator.channel(APPROVALS_CHANNEL).messages() if "device of" in m.all_text()
        ]
        assert "device 4, which makes them 2 licensed users" in request.all_text()
        with app.deps.db.read() as session:
            assert session.scalar(select(func.count()).select_from(Device)) == 3
        slack_emulator.person(APPROVER).click(request, "approvals.approve")
        app.wait_for_outbox()
        with app.deps.db.read() as session:
            assert session.scalar(select(func.count()).select_from(Device)) == 4
