"""App Home builder: the sections each kind of person sees, and the fullest Home tab (every list at
its longest, the longest values) inside the Block Kit limits file."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from blocks.home import HomeContent, RecentAction, home_view
from bot.slack.home import LIST_MAX
from console.blockkit import BlockKitLimits
from tests.support.paths import BLOCKKIT_LIMITS
from tests.unit.test_approval_builders import longest
from tests.unit.test_backup_builders import longest_user
from tests.unit.test_reminder_builders import invitation

LIMITS = BlockKitLimits.load(BLOCKKIT_LIMITS)
WHEN = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)


def headings(content: HomeContent) -> list[str]:
    view = home_view(content).to_dict()
    return [
        str(b["text"]["text"]).split("*")[1]
        for b in view["blocks"]
        if b["type"] == "section" and str(b["text"]["text"]).startswith("*") and "\n" not in b["text"]["text"]
    ]


def fullest(**changes: object) -> HomeContent:
    values: dict[str, object] = {
        "allowed": True,
        "approver": True,
        "to_decide": [replace(longest(), id=i) for i in range(LIST_MAX)],
        "to_decide_total": 500,
        "my_requests": [replace(longest(), id=100 + i) for i in range(LIST_MAX)],
        "my_requests_total": 500,
        "expiring": [invitation(i, name="Ü" * 200) for i in range(LIST_MAX)],
        "expiring_total": 5000,
        "pending": [longest_user() for _ in range(LIST_MAX)],
        "pending_total": 5000,
        "recent": [
            RecentAction("approval.requested", "T" * 400, WHEN - timedelta(minutes=i))
            for i in range(LIST_MAX)
        ],
        "notice": "N" * 3000,
    }
    values.update(changes)
    return HomeContent(**values)  # type: ignore[arg-type]


def test_each_person_sees_their_sections() -> None:
    both = headings(fullest())
    assert both == [
        "Waiting for your approval",
        "Your requests waiting for approval",
        "Invitations expiring within 48 hours",
        "Users pending activation",
        "Your recent actions",
    ]
    assert headings(fullest(approver=False, to_decide=[], to_decide_total=0, my_requests=[])) == [
        "Invitations expiring within 48 hours",
        "Users pending activation",
        "Your recent actions",
    ]
    approver_only = home_view(fullest(allowed=False, my_requests=[])).to_dict()
    assert headings(fullest(allowed=False, my_requests=[])) == ["Waiting for your approval"]
    assert "not in the helpdesk" not in str(approver_only)
    outsider = home_view(HomeContent(allowed=False)).to_dict()
    assert "not in the helpdesk" in str(outsider) and len(outsider["blocks"]) == 2


def test_the_fullest_home_tab_fits() -> None:
    view = home_view(fullest()).to_dict()
    assert LIMITS.validate_view(view) == []
    assert "and 490 more" in str(view) and "and 4,990 more" in str(view)


def test_a_pending_user_already_e_mailed_shows_when_beside_activate() -> None:
    """DESIGN §1: Activate, whatever was sent before; the line beside it says when the e-mail went."""
    user = replace(longest_user(), full_name="Pat Pending", activation_sent_at=WHEN)
    view = home_view(HomeContent(allowed=True, pending=[user], pending_total=1)).to_dict()
    [row] = [b for b in view["blocks"] if b.get("accessory", {}).get("action_id") == "backup.user.activate"]
    assert row["accessory"]["text"]["text"] == "Activate"
    assert "activation e-mail sent <!date^1774602000^" in row["text"]["text"]
