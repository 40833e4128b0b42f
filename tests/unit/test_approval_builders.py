"""Approval builders: the request shows its full context and the buttons only while it is pending,
each outcome names who decided, and everything fits the Block Kit limits file with the longest
values a request can hold."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from blocks.approvals import (
    approval_message,
    decided_reply,
    reject_modal,
    reminder_reply,
    requester_message,
    sent_for_approval_modal,
)
from bot.approvals.fields import REASON_MAX
from bot.approvals.models import ApprovalState
from bot.approvals.service import DETAIL_MAX, SUMMARY_MAX
from bot.approvals.summary import ApprovalSummary
from console.blockkit import BlockKitLimits
from tests.support.paths import BLOCKKIT_LIMITS

LIMITS = BlockKitLimits.load(BLOCKKIT_LIMITS)
WHEN = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)


def approval(**changes: Any) -> ApprovalSummary:
    base = ApprovalSummary(
        id=12,
        kind="administrator",
        title="Create an Administrator",
        summary="Create Administrator Ada Admin (ada@acme.example) for Acme Corporation",
        details=(("Email", "ada@acme.example"), ("Phone", "+31201234567")),
        customer="Acme Corporation",
        requester="U0HELP01",
        channel_id="C0HELP01",
        state=ApprovalState.PENDING,
        created_at=WHEN,
        expires_at=WHEN + timedelta(hours=48),
        decided_by=None,
        decided_at=None,
        reason=None,
        outcome=None,
        approvals_channel="C0APPR01",
    )
    return replace(base, **changes)


def longest(**changes: Any) -> ApprovalSummary:
    return approval(
        summary="S" * SUMMARY_MAX,
        details=tuple((f"Label {i} " + "L" * 90, "<&>" * (DETAIL_MAX // 3)) for i in range(14)),
        customer="C" * 200,
        reason="R" * REASON_MAX,
        outcome="O" * 1000,
        **changes,
    )


def texts(blocks: list[Any]) -> str:
    return str([b.to_dict() for b in blocks])


def action_ids(blocks: list[Any]) -> list[str]:
    return [e["action_id"] for b in blocks for e in b.to_dict().get("elements", []) if "action_id" in e] + [
        b.to_dict()["accessory"]["action_id"] for b in blocks if "accessory" in b.to_dict()
    ]


def test_a_pending_request_shows_who_asked_what_for_whom_with_approve_and_reject() -> None:
    blocks = approval_message(approval())
    text = texts(blocks)
    assert "Create Administrator Ada Admin" in text and "<@U0HELP01>" in text and "Acme Corporation" in text
    assert "+31201234567" in text and "Waiting for approval" in text
    assert action_ids(blocks) == ["approvals.approve", "approvals.reject"]
    assert action_ids(requester_message(approval())) == ["approvals.cancel"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"state": ApprovalState.APPROVED, "outcome": "Ada Admin was created."}, "*Approved* by <@U0APPR01>"),
        (
            {"state": ApprovalState.FAILED, "outcome": "A user exists."},
            "but it could not be done: A user exists.",
        ),
        ({"state": ApprovalState.REJECTED, "reason": "Not <now>"}, "*Rejected* by <@U0APPR01> on"),
        ({"state": ApprovalState.CANCELLED}, "*Cancelled* by the requester"),
        ({"state": ApprovalState.EXPIRED}, "*Expired*"),
    ],
)
def test_a_decided_request_names_the_outcome_and_drops_its_buttons(
    changes: dict[str, Any], expected: str
) -> None:
    decided = approval(decided_by="U0APPR01", decided_at=WHEN + timedelta(hours=2), **changes)
    for blocks in (approval_message(decided), requester_message(decided)):
        assert expected in texts(blocks)
        assert action_ids(blocks) == []
    assert decided_reply(decided).startswith("<@U0HELP01> ")
    if decided.reason:
        assert "Not &lt;now&gt;" in decided_reply(decided)


def test_reminders_mention_approver_users_and_groups() -> None:
    reply = reminder_reply(approval(), ["U0APPR01", "S0LEADS1"])
    assert reply.startswith("<@U0APPR01> <!subteam^S0LEADS1> :bell: Still waiting")


@pytest.mark.parametrize("state", list(ApprovalState))
def test_the_longest_request_fits_in_every_state(state: ApprovalState) -> None:
    decided = longest(state=state, decided_by="U0APPR01", decided_at=WHEN)
    assert LIMITS.validate_message([b.to_dict() for b in approval_message(decided)]) == []
    assert LIMITS.validate_message([b.to_dict() for b in requester_message(decided)]) == []
    assert LIMITS.validate_view(reject_modal(decided).to_dict()) == []
    view = sent_for_approval_modal(
        title="Add New User", summary="S" * SUMMARY_MAX, approvals_channel="C0APPR01"
    )
    assert LIMITS.validate_view(view.to_dict()) == []
    assert view.to_dict()["clear_on_close"] is True and "submit" not in view.to_dict()


def test_a_request_raised_by_deskops_itself_names_it_without_a_mention() -> None:
    raised = approval(
        requester="enrollment-callback", state=ApprovalState.APPROVED, decided_by="U0APPR01", decided_at=WHEN
    )
    assert "*Requested by*\\nenrollment-callback" in texts(approval_message(raised))
    assert decided_reply(raised).startswith("enrollment-callback :white_check_mark:")
