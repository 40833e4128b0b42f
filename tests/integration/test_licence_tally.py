"""The licence total (the daily digest's) comes from a tally kept as devices are enrolled: it
must always equal a count of the devices themselves, also when enrollments race."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.enrollment import drafts
from bot.enrollment.batches import send_batch
from bot.enrollment.devices import enroll_device
from bot.enrollment.licences import LicenceUsage, device_counts, licences_for, usage
from bot.enrollment.models import Invitation, Platform, PlatformChoice
from bot.integrations.directory.port import DirectoryUser
from bot.tokens import LinkTokens

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TOKENS = LinkTokens(b"t" * 32)


def _invite(db: Database, people: dict[str, int]) -> list[tuple[str, str]]:
    """One invitation per device wanted: (owner e-mail, link token) each."""
    links = []
    with db.transaction() as session:
        for email, devices in people.items():
            for _ in range(devices):
                draft = drafts.start_draft(session, owner="U1", channel_id=None, now=NOW)
                person = DirectoryUser(
                    id=f"uid={email}",
                    account_name=email,
                    display_name=email,
                    first_name=None,
                    last_name=None,
                    email=email,
                )
                drafts.add_invitees(session, draft, [person], source=None, now=NOW)
                batch = send_batch(
                    session,
                    draft=draft,
                    days=7,
                    platform=PlatformChoice.IOS,
                    actor="U1",
                    now=NOW,
                    tokens=TOKENS,
                )
                invitation = session.scalars(select(Invitation).where(Invitation.batch_id == batch.id)).one()
                links.append((email, TOKENS.token("invitation", invitation.nonce)))
    return links


def _enroll(db: Database, token: str, device_id: str) -> None:
    with db.transaction() as session:
        enroll_device(
            session, token=token, platform=Platform.IOS, device_id=device_id, now=NOW, per_licence=3
        )


def _counted(db: Database, per_licence: int) -> LicenceUsage:
    """The totals counted from every device, as the digest used to."""
    with db.read() as session:
        counts = device_counts(session)
    return LicenceUsage(
        people=len(counts),
        devices=sum(counts.values()),
        licensed_users=sum(licences_for(n, per_licence) for n in counts.values()),
    )


def test_the_tally_equals_a_count_of_the_devices(db: Database) -> None:
    links = _invite(db, {"ann@example.com": 4, "bob@example.com": 1, "cy@example.com": 7})
    for number, (_, token) in enumerate(links):
        _enroll(db, token, f"device-{number}")
    _enroll(db, links[0][1], "device-0")  # the same device reported again: counted once
    with db.read() as session:
        for per_licence in (1, 3, 5):
            assert usage(session, per_licence=per_licence) == _counted(db, per_licence)
        assert usage(session, per_licence=3) == LicenceUsage(people=3, devices=12, licensed_users=2 + 1 + 3)


@pytest.fixture
def committed_db(database_url: str) -> Iterator[Database]:
    """A database whose transactions really commit, for racing threads."""
    database = Database(database_url)
    try:
        yield database
    finally:
        database.dispose()


def test_racing_enrollments_of_one_person_keep_the_tally_exact(committed_db: Database) -> None:
    links = _invite(committed_db, {"racer@example.com": 6, "other@example.com": 2})
    start = threading.Barrier(len(links))
    errors: list[BaseException] = []

    def enroll(number: int, token: str) -> None:
        start.wait()
        try:
            _enroll(committed_db, token, f"racing-{number}")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=enroll, args=(n, token)) for n, (_, token) in enumerate(links)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    with committed_db.read() as session:
        assert (
            usage(session, per_licence=3)
            == _counted(committed_db, 3)
            == LicenceUsage(people=2, devices=8, licensed_users=2 + 1)
        )
