"""One invitation, one device: links are spent by their device, bound to their platform(s), and
Invite another device sends one more, once; per-person figures and the licence forecast."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.enrollment import drafts
from bot.enrollment.another_device import invite_another_device
from bot.enrollment.batches import send_batch
from bot.enrollment.devices import (
    InvitationLinkInvalid,
    LinkProblem,
    WrongPlatform,
    enroll_device,
    open_invitation,
)
from bot.enrollment.licences import forecast
from bot.enrollment.models import Invitation, InvitationState, Platform, PlatformChoice
from bot.enrollment.status import people_status
from bot.integrations.directory.port import DirectoryUser
from bot.outbox.models import OutboxMessage
from bot.tokens import LinkTokens

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TOKENS = LinkTokens(b"k" * 32)
JOHN = DirectoryUser(
    id="uid=john", account_name="jdoe", display_name="John Doe", first_name=None, last_name=None,
    email="john.doe@example.com",
)  # fmt: skip


def invite(db: Database, *, platform: PlatformChoice, devices: int = 1, days: int = 7) -> list[str]:
    """John's invitation links (tokens), one per device."""
    with db.transaction() as session:
        draft = drafts.start_draft(session, owner="U1", channel_id=None, now=NOW)
        drafts.add_invitees(session, draft, [JOHN], source=None, now=NOW)
        batch = send_batch(
            session,
            draft=draft,
            days=days,
            platform=platform,
            actor="U1",
            now=NOW,
            tokens=TOKENS,
            devices_per_person=devices,
        )
        nonces = session.scalars(
            select(Invitation.nonce).where(Invitation.batch_id == batch.id).order_by(Invitation.id)
        ).all()
    return [TOKENS.token("invitation", nonce) for nonce in nonces]


def enroll(db: Database, token: str, platform: Platform, device: str, *, at: datetime = NOW) -> bool:
    with db.transaction() as session:
        return enroll_device(
            session, token=token, platform=platform, device_id=device, now=at, per_licence=3
        ).created


def refused(action: Callable[[], object]) -> LinkProblem:
    with pytest.raises(InvitationLinkInvalid) as problem:
        action()
    return problem.value.problem


def test_each_link_enrolls_one_device_of_its_platform(db: Database) -> None:
    first, second = invite(db, platform=PlatformChoice.IOS, devices=2)
    assert enroll(db, first, Platform.IOS, "iphone-1")
    # The second use of a link, by another device, is refused and records nothing.
    assert refused(lambda: enroll(db, first, Platform.IOS, "ipad-1")) is LinkProblem.USED
    # The device it enrolled, reported again (a retried callback), is known: nothing new.
    assert enroll(db, first, Platform.IOS, "iphone-1") is False
    # An Android device on an iOS-only link is refused, and the link stays usable.
    with pytest.raises(WrongPlatform, match="for iOS devices, not Android"):
        enroll(db, second, Platform.ANDROID, "pixel-1")
    assert enroll(db, second, Platform.IOS, "ipad-1")
    with db.read() as session:
        people = people_status(session, email="john.doe@example.com", per_licence=3, now=NOW)
        assert refused(lambda: open_invitation(session, first, now=NOW)) is LinkProblem.USED
    assert [(p.devices, p.open_invitations, p.licences) for p in people] == [(2, 0, 1)]


def test_a_both_link_enrolls_either_platform_once(db: Database) -> None:
    [link] = invite(db, platform=PlatformChoice.BOTH)
    assert enroll(db, link, Platform.ANDROID, "pixel-1")
    assert refused(lambda: enroll(db, link, Platform.IOS, "iphone-1")) is LinkProblem.USED


def test_expiry_holds_for_links_that_never_enrolled_and_a_spent_link_stays_spent(db: Database) -> None:
    used, unused = invite(db, platform=PlatformChoice.ANDROID, devices=2, days=2)
    assert enroll(db, used, Platform.ANDROID, "pixel-1")
    later = NOW + timedelta(days=400)
    assert refused(lambda: enroll(db, unused, Platform.ANDROID, "pixel-2", at=later)) is LinkProblem.EXPIRED
    assert refused(lambda: enroll(db, used, Platform.ANDROID, "pixel-3", at=later)) is LinkProblem.USED


@pytest.mark.parametrize("devices", [1, 3, 4])
def test_forecast_and_figures_follow_the_access_server_rule(db: Database, devices: int) -> None:
    """Up to 3 devices per licensed user; the 4th counts as a new one."""
    with db.transaction() as session:
        draft = drafts.start_draft(session, owner="U1", channel_id=None, now=NOW)
        drafts.add_invitees(session, draft, [JOHN], source=None, now=NOW)
        expected = forecast(session, draft, devices, per_licence=3)
    assert (expected.invitations, expected.additional_licences) == (devices, {1: 1, 3: 1, 4: 2}[devices])
    links = invite(db, platform=PlatformChoice.IOS, devices=devices)
    with db.read() as session:
        [before] = people_status(session, email=None, per_licence=3, now=NOW)
    assert (before.devices, before.open_invitations, before.licences) == (0, devices, 0)
    for number, link in enumerate(links):
        assert enroll(db, link, Platform.IOS, f"iphone-{number}")
    with db.read() as session:
        [after] = people_status(session, email=None, per_licence=3, now=NOW)
    assert (after.devices, after.open_invitations, after.licences) == (
        devices,
        0,
        expected.additional_licences,
    )


def test_two_devices_racing_for_one_link_enroll_one(database_url: str) -> None:
    db = Database(database_url)
    try:
        [link] = invite(db, platform=PlatformChoice.IOS)
        start = threading.Barrier(4)
        outcomes: list[object] = []

        def attempt(number: int) -> None:
            start.wait()
            try:
                outcomes.append(enroll(db, link, Platform.IOS, f"iphone-{number}"))
            except InvitationLinkInvalid as error:
                outcomes.append(error.problem)

        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(map(str, outcomes)) == ["True", *["used"] * 3]
        with db.read() as session:
            [person] = people_status(session, email=None, per_licence=3, now=NOW)
        assert person.devices == 1
    finally:
        db.dispose()


def test_invite_another_device_sends_one_invitation_per_click(database_url: str) -> None:
    db = Database(database_url)
    try:
        invite(db, platform=PlatformChoice.BOTH, days=5)
        with db.read() as session:
            source = session.scalars(select(Invitation)).one().id
        start = threading.Barrier(5)
        created: list[bool] = []

        def click() -> None:
            start.wait()
            sent = invite_another_device(
                db, invitation_id=source, request_key="k" * 32, actor="U2", now=NOW, tokens=TOKENS
            )
            created.append(sent.created)

        threads = [threading.Thread(target=click) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(created) == [False] * 4 + [True]
        other = invite_another_device(
            db, invitation_id=source, request_key="other", actor="U2", now=NOW, tokens=TOKENS
        )
        assert other.created and other.platform is PlatformChoice.BOTH
        assert other.expires_at == NOW + timedelta(days=5)
        with db.read() as session:
            invitations = session.scalars(select(Invitation).order_by(Invitation.id)).all()
            assert [i.state for i in invitations] == [InvitationState.QUEUED] * 3
            assert {i.email for i in invitations} == {"john.doe@example.com"}
            emails = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == "enroll.invitation_email")
            )
            assert emails == 3
    finally:
        db.dispose()
