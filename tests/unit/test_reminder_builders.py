"""Reminder builders: each invitation with Resend / Extend / Revoke (carrying its id), each user
with Activate, nothing actionable once it is done, and a full message inside the limits file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from blocks.reminders import reminder_message, reminder_text
from bot.enrollment.models import InvitationState
from bot.reminders.service import PER_MESSAGE, ActivationReminder, InvitationReminder
from console.blockkit import BlockKitLimits
from tests.support.paths import BLOCKKIT_LIMITS

LIMITS = BlockKitLimits.load(BLOCKKIT_LIMITS)
WHEN = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)


def invitation(
    index: int, state: InvitationState = InvitationState.SENT, name: str = "Sara Soon"
) -> InvitationReminder:
    return InvitationReminder(
        invitation_id=index,
        name=name,
        email=f"user{index}@acme.example",
        platform="iOS",
        state=state,
        expires_at=WHEN + timedelta(hours=30),
    )


def user(
    index: int, *, active: bool = False, sent: datetime | None = None, name: str = "Pat Pending"
) -> ActivationReminder:
    return ActivationReminder(
        user_id=index,
        name=name,
        email=f"pat{index}@globex.example",
        customer="Globex Logistics",
        since=WHEN - timedelta(days=3),
        activation_sent_at=sent,
        active=active,
    )


def buttons(blocks: list[dict[str, object]]) -> list[tuple[str, object]]:
    found = []
    for block in blocks:
        elements = block.get("elements") or ([block["accessory"]] if "accessory" in block else [])
        found += [(e["action_id"], json.loads(e["value"])) for e in elements if isinstance(e, dict)]  # type: ignore[index]
    return found


def test_items_carry_their_ids_on_the_shared_action_ids() -> None:
    blocks = [
        b.to_dict() for b in reminder_message([invitation(4)], [user(9)], window_hours=48, pending_days=3)
    ]
    assert buttons(blocks) == [
        ("enroll.invitation.resend", {"invitation_id": 4}),
        ("enroll.invitation.extend", {"invitation_id": 4}),
        # One more invitation to the person, once per invitation and expiry window.
        (
            "enroll.invitation.another_device",
            {"invitation_id": 4, "request_key": f"reminder:4:{int(invitation(4).expires_at.timestamp())}"},
        ),
        ("enroll.invitation.revoke", {"invitation_id": 4}),
        ("backup.user.activate", {"user_id": 9}),
    ]
    text = str(blocks)
    assert "1 invitation expires within 48 hours" in text
    assert "1 user is still pending activation after 3 days" in text
    assert reminder_text([invitation(4)], [user(9)]) == (
        "Reminder: 1 invitation expires soon; 1 user is still pending activation"
    )


def test_what_is_done_meanwhile_has_no_buttons() -> None:
    blocks = [
        b.to_dict()
        for b in reminder_message(
            [invitation(1, InvitationState.ENROLLED)], [user(2, active=True)], window_hours=48, pending_days=3
        )
    ]
    assert buttons(blocks) == []
    assert "enrolled" in str(blocks) and "now active" in str(blocks)


def test_a_user_already_e_mailed_still_has_activate_and_the_line_says_when() -> None:
    """DESIGN §1: pending users are posted with Activate, whatever was sent before."""
    never, sent = (
        reminder_message([], [user(3, sent=when)], window_hours=48, pending_days=3)[1].to_dict()
        for when in (None, WHEN)
    )
    for item in never, sent:
        assert item["accessory"]["text"]["text"] == "Activate"  # type: ignore[index]
        assert item["accessory"]["action_id"] == "backup.user.activate"  # type: ignore[index]
        assert json.loads(item["accessory"]["value"]) == {"user_id": 3}  # type: ignore[index]
    assert "no activation e-mail yet" in sent_text(never)
    assert "activation e-mail sent <!date^1774602000^" in sent_text(sent)
    assert "2026-03-27 09:00 UTC" in sent_text(sent)


def sent_text(block: dict[str, object]) -> str:
    return str(block["text"]["text"])  # type: ignore[index]


def test_a_full_message_of_the_longest_items_fits() -> None:
    long = "Ü" * 200
    invitations = [invitation(i, name=long) for i in range(PER_MESSAGE)]
    users = [user(i, name=long) for i in range(PER_MESSAGE)]
    # A message holds one chunk of PER_MESSAGE reminders (invitations or users or both).
    for chunk in (invitations, []), ([], users), (invitations[:10], users[:10]):
        blocks = [b.to_dict() for b in reminder_message(*chunk, window_hours=48, pending_days=3)]
        assert LIMITS.validate_message(blocks) == []
