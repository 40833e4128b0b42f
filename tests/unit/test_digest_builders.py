"""The digest template and builder: per-customer lines, invitations as their own section, licences,
approvals and problems; a quiet day in one line; the biggest digest inside one message; the
terminal preview without Slack markup; and periods that follow daylight saving."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from blocks.digest import digest_message, digest_preview, digest_text
from bot.digest.schedule import day_before, digest_period, due_day
from bot.digest.service import CustomerActivity, Digest, InvitationActivity, Problem, WaitingApproval
from bot.enrollment.licences import LicenceUsage
from console.blockkit import BlockKitLimits
from tests.support.paths import BLOCKKIT_LIMITS

LIMITS = BlockKitLimits.load(BLOCKKIT_LIMITS)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 3, 27, 7, 30, tzinfo=UTC)
QUIET = Digest(
    day=date(2026, 3, 28),
    start=START,
    end=START + timedelta(days=1),
    timezone="Europe/Amsterdam",
    customers=[],
    invitations=InvitationActivity(),
    expiring_window_hours=48,
    licences=LicenceUsage(people=0, devices=0, licensed_users=0),
    approvals=[],
    approvals_total=0,
)


def busy(customers: int = 2, problems: int = 1, name: str = "Acme <Corp> & Co") -> Digest:
    return replace(
        QUIET,
        customers=[
            CustomerActivity(f"{name} {i}", added=2, activated=1, pending=3) for i in range(customers)
        ],
        invitations=InvitationActivity(sent=12, opened=5, enrolled=3, expiring=2, expired=1, failed=1),
        licences=LicenceUsage(people=3, devices=7, licensed_users=4),
        approvals=[WaitingApproval("Create Administrator Ada Admin", "U0HELP01", START)],
        approvals_total=3,
        problems=[Problem("1 failed delivery of accounts.user_card", "Slack refused (not_in_channel)")]
        * problems,
    )


def text_of(digest: Digest) -> str:
    return str([b.to_dict() for b in digest_message(digest)])


def test_a_busy_day_lists_customers_invitations_licences_approvals_and_problems() -> None:
    text = text_of(busy())
    assert "Daily digest · Saturday 28 March 2026" in text
    assert "*Acme &lt;Corp&gt; &amp; Co 0*: 2 added · 1 activated · 3 pending activation" in text
    assert "12 sent · 5 opened · 3 accepted · 2 expiring within 48 hours · 1 expired · 1 failed" in text
    assert "*Licences used:* 4 licensed users (7 devices of 3 people)" in text
    assert "*Waiting for approval* (3)" in text and "…and 2 more." in text
    assert ":warning: 1 failed delivery of accounts.user_card: Slack refused (not_in_channel)" in text
    assert digest_text(busy()) == "Daily digest for Saturday 28 March 2026"


def test_a_quiet_day_is_one_line() -> None:
    blocks = [b.to_dict() for b in digest_message(QUIET)]
    assert len(blocks) == 1
    assert "a quiet day, nothing happened and nothing needs a human" in str(blocks)
    assert digest_preview(QUIET).count("\n") == 1


def test_the_biggest_digest_fits_one_message() -> None:
    huge = busy(customers=500, problems=30, name="C" * 200)
    blocks = [b.to_dict() for b in digest_message(huge)]
    assert LIMITS.validate_message(blocks) == []
    assert "…and 460 more customers." in str(blocks)


def test_the_preview_reads_without_slack_markup() -> None:
    preview = digest_preview(busy())
    assert "From 2026-03-27 08:30 to 2026-03-28 08:30 (Europe/Amsterdam)" in preview
    assert "Acme <Corp> & Co 0: 2 added" in preview
    assert "asked by @U0HELP01 2026-03-27 07:30 UTC" in preview
    assert "*" not in preview and "<!date" not in preview


def test_periods_and_due_times_follow_daylight_saving() -> None:
    at = time(8, 30)
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    start, end = digest_period(spring, at, AMSTERDAM)
    assert (start, end) == (
        datetime(2026, 3, 28, 7, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 6, 30, tzinfo=UTC),
    )
    assert end - start == timedelta(hours=23)
    start, end = digest_period(autumn, at, AMSTERDAM)
    assert end - start == timedelta(hours=25)
    assert due_day(datetime(2026, 3, 29, 6, 29, tzinfo=UTC), at, AMSTERDAM) is None
    assert due_day(datetime(2026, 3, 29, 6, 30, tzinfo=UTC), at, AMSTERDAM) == spring
    assert due_day(datetime(2026, 10, 25, 6, 30, tzinfo=UTC), at, AMSTERDAM) is None
    assert day_before(datetime(2026, 3, 29, 12, 0, tzinfo=UTC), AMSTERDAM) == datetime(
        2026, 3, 28, 13, 0, tzinfo=UTC
    )
    # 02:30 does not exist on 29 March: that day's digest goes at 03:30 summer time.
    assert digest_period(spring, time(2, 30), AMSTERDAM)[1] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
