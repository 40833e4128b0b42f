"""A claim of invitation e-mails keeps half a lease in hand: past that, a stall while an e-mail is
on its way could outlast the lease, and another worker would take the row and send it again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.enrollment.delivery import _claim_half_spent
from bot.outbox.handlers import Delivery

LEASE = timedelta(seconds=2)
CLAIMED_AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def claimed(lease: timedelta | None = LEASE) -> Delivery:
    return Delivery(
        1, "enroll.invitation_email", {}, 1, 5, None, claimed_until=CLAIMED_AT + LEASE, lease=lease
    )


def test_sending_goes_on_while_more_than_half_the_lease_is_left() -> None:
    assert not _claim_half_spent(claimed(), CLAIMED_AT)
    assert not _claim_half_spent(claimed(), CLAIMED_AT + timedelta(seconds=0.9))


def test_a_claim_whose_sending_began_late_stops_at_half_the_lease_all_the_same() -> None:
    # Its read took 1.5 s of the 2 s lease: 0.5 s left is less than half a lease, so nothing more
    # is sent in this claim (half of what was left would have allowed 0.25 s more).
    assert _claim_half_spent(claimed(), CLAIMED_AT + timedelta(seconds=1.5))
    assert _claim_half_spent(claimed(), CLAIMED_AT + timedelta(seconds=1.1))


def test_a_delivery_without_a_lease_is_never_cut_short() -> None:
    assert not _claim_half_spent(claimed(lease=None), CLAIMED_AT + timedelta(hours=1))
