"""The approval service with a kind of its own (as /enroll registers `invitation_batch`), on
SQLite and PostgreSQL: the executor runs once on approval, hooks run on reject, cancel and expiry,
the same request key asks once, and decided requests stay decided."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.approvals import ApprovalState, Executors, needs_approval, request_approval
from bot.approvals.models import ApprovalRequest
from bot.approvals.service import ApprovalJob, ApprovalsOff, approve, cancel, expire_due, reject, remind_due
from bot.config import Settings, load_settings
from bot.db import Database
from bot.errors import FieldErrors, InvalidState, NotAllowed
from bot.outbox.models import OutboxMessage

KIND = "test.fake_batch"
EXECUTORS = Executors()
NOW = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
HELEN, ANNA = "U0HELP01", "U0APPR01"


class FakeBatches:
    """What /enroll does with a held batch: release it on approval, drop it otherwise."""

    def __init__(self) -> None:
        self.released: list[int] = []
        self.closed: list[tuple[int, ApprovalState]] = []
        self.refuse = False

    def release(self, session: Any, request: ApprovalRequest, *, now: datetime) -> str:
        if self.refuse:
            raise InvalidState("The batch was deleted meanwhile.")
        self.released.append(int(request.payload["batch_id"]))
        return f"{len(self.released)} batch released."

    def drop(self, session: Any, request: ApprovalRequest, state: ApprovalState, now: datetime) -> None:
        self.closed.append((int(request.payload["batch_id"]), state))


@pytest.fixture
def batches() -> FakeBatches:
    global EXECUTORS
    fake = FakeBatches()
    EXECUTORS = Executors()
    EXECUTORS.register(KIND, fake.release, on_closed=fake.drop)
    return fake


@pytest.fixture
def settings() -> Settings:
    return load_settings(_env_file=None, approvals_channel="C0APPR01", approvers=ANNA, approval_batch_size=50)


def ask(
    db: Database, settings: Settings, *, batch_id: int = 7, key: str | None = None, at: datetime = NOW
) -> int:
    with db.transaction() as session:
        request = request_approval(
            session,
            settings=settings,
            kind=KIND,
            payload={"batch_id": batch_id},
            requester=HELEN,
            summary="Send 120 enrollment invitations (iOS and Android)",
            details=[("Invitees", "120"), ("Licences", "40 more")],
            request_key=key,
            now=at,
        )
        return request.id


def state(db: Database, request_id: int) -> ApprovalState:
    with db.read() as session:
        found = session.get(ApprovalRequest, request_id)
        assert found is not None
        return found.state


def queued(db: Database, kind: str) -> list[dict[str, Any]]:
    with db.read() as session:
        return [
            dict(m.payload) for m in session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind))
        ]


def test_the_policy_follows_the_configuration(settings: Settings) -> None:
    assert needs_approval(settings, "invitation_batch", invitees=51)
    assert not needs_approval(settings, "invitation_batch", invitees=50)
    assert needs_approval(settings, "administrator", role="administrator")
    assert not needs_approval(settings, "administrator", role="user")
    assert needs_approval(settings, "device_beyond_licence", additional_licences=1)
    assert not needs_approval(settings, "device_beyond_licence", additional_licences=0)
    relaxed = settings.model_copy(
        update={"approval_administrators": False, "approval_devices_beyond_licence": False}
    )
    assert not needs_approval(relaxed, "administrator", role="administrator")
    assert not needs_approval(relaxed, "device_beyond_licence", additional_licences=3)
    off = load_settings(_env_file=None)
    assert not needs_approval(off, "invitation_batch", invitees=10_000)


def test_approving_runs_the_executor_once(db: Database, settings: Settings, batches: FakeBatches) -> None:
    request_id = ask(db, settings, key="draft-1")
    assert ask(db, settings, key="draft-1") == request_id  # a double-clicked Send asks once
    assert [p["channel"] for p in queued(db, ApprovalJob.POST)] == ["C0APPR01"]
    with db.transaction() as session:
        approved = approve(session, request_id=request_id, approver=ANNA, executors=EXECUTORS, now=NOW)
        assert approved.outcome == "1 batch released."
    with db.transaction() as session, pytest.raises(InvalidState, match="already approved"):
        approve(session, request_id=request_id, approver=ANNA, executors=EXECUTORS, now=NOW)
    assert batches.released == [7] and batches.closed == []
    assert state(db, request_id) is ApprovalState.APPROVED


def test_an_action_that_can_no_longer_be_done_ends_as_failed(
    db: Database, settings: Settings, batches: FakeBatches
) -> None:
    request_id = ask(db, settings)
    batches.refuse = True
    with db.transaction() as session:
        failed = approve(session, request_id=request_id, approver=ANNA, executors=EXECUTORS, now=NOW)
        assert (failed.state, failed.outcome) == (ApprovalState.FAILED, "The batch was deleted meanwhile.")
    assert batches.closed == [(7, ApprovalState.FAILED)]


def test_requesters_do_not_decide_and_a_reason_is_required(
    db: Database, settings: Settings, batches: FakeBatches
) -> None:
    request_id = ask(db, settings)
    with db.transaction() as session, pytest.raises(NotAllowed):
        approve(session, request_id=request_id, approver=HELEN, executors=EXECUTORS, now=NOW)
    with db.transaction() as session, pytest.raises(FieldErrors):
        reject(session, request_id=request_id, approver=ANNA, reason="  \n ", executors=EXECUTORS, now=NOW)
    with db.transaction() as session, pytest.raises(NotAllowed):
        cancel(session, request_id=request_id, requester=ANNA, executors=EXECUTORS, now=NOW)
    with db.transaction() as session:
        reject(
            session,
            request_id=request_id,
            approver=ANNA,
            reason="Split it into\ntwo batches",
            executors=EXECUTORS,
            now=NOW,
        )
    assert batches.closed == [(7, ApprovalState.REJECTED)] and batches.released == []
    with db.read() as session:
        assert session.get(ApprovalRequest, request_id).reason == "Split it into two batches"  # type: ignore[union-attr]


def test_cancelled_and_expired_requests_can_no_longer_be_approved(
    db: Database, settings: Settings, batches: FakeBatches
) -> None:
    cancelled = ask(db, settings, batch_id=1)
    expiring = ask(db, settings, batch_id=2)
    with db.transaction() as session:
        cancel(session, request_id=cancelled, requester=HELEN, executors=EXECUTORS, now=NOW)
    later = NOW + timedelta(hours=48)
    with db.transaction() as session, pytest.raises(InvalidState, match="expired"):
        approve(session, request_id=expiring, approver=ANNA, executors=EXECUTORS, now=later)
    with db.transaction() as session:
        assert expire_due(session, executors=EXECUTORS, now=later) == 1
        assert expire_due(session, executors=EXECUTORS, now=later) == 0
    for request_id, words in ((cancelled, "already cancelled"), (expiring, "already expired")):
        with db.transaction() as session, pytest.raises(InvalidState, match=words):
            approve(session, request_id=request_id, approver=ANNA, executors=EXECUTORS, now=later)
    assert batches.closed == [(1, ApprovalState.CANCELLED), (2, ApprovalState.EXPIRED)]
    assert batches.released == []
    # Each decision updates the messages in place and is told in the thread.
    assert sorted(p["request_id"] for p in queued(db, ApprovalJob.REFRESH)) == [cancelled, expiring]


def test_reminders_back_off_and_one_long_silence_gets_one_nudge(
    db: Database, settings: Settings, batches: FakeBatches
) -> None:
    request_id = ask(db, settings)

    def remind(after: timedelta) -> int:
        with db.transaction() as session:
            return remind_due(session, reminder_hours=[1, 3, 9], now=NOW + after)

    assert remind(timedelta(minutes=59)) == 0
    assert remind(timedelta(hours=1)) == 1
    assert remind(timedelta(hours=2)) == 0
    # Down from 2 h to 10 h: one reminder, not the two that came due meanwhile; then none left.
    assert remind(timedelta(hours=10)) == 1
    assert remind(timedelta(hours=30)) == 0
    notes = [p for p in queued(db, ApprovalJob.THREAD) if p["note"] == "reminder"]
    assert len(notes) == 2 and {p["request_id"] for p in notes} == {request_id}


def test_asking_needs_approvals_on_and_approving_a_registered_kind(
    db: Database, batches: FakeBatches
) -> None:
    off = load_settings(_env_file=None)
    with pytest.raises(ApprovalsOff):
        ask(db, off)
    on = load_settings(_env_file=None, approvals_channel="C0APPR01", approvers=ANNA)
    with db.transaction() as session:
        unknown = request_approval(
            session, settings=on, kind="test.unknown", payload={}, requester=HELEN, summary="x", now=NOW
        ).id
    with db.transaction() as session, pytest.raises(InvalidState, match="cannot carry out"):
        approve(session, request_id=unknown, approver=ANNA, executors=EXECUTORS, now=NOW)
    assert state(db, unknown) is ApprovalState.PENDING and batches.released == []
