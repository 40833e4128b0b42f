"""`kill -9` of `deskops serve` in the middle of a 2,000-invitee batch, then a restart.

What deskops guarantees, and what this test holds it to:

- **Nothing is lost.** Every invitation is delivered at least once: the batch, its invitations
  and their outbox rows are committed before the first e-mail goes out, and rows a dead process
  had claimed are taken over when their lease (`OUTBOX_LEASE_SECONDS`, 2 s here) runs out.
- **Once, but for the e-mail on its way.** Each invitation is recorded as sent the moment the
  SMTP server accepts it. Only an e-mail the server accepted in the instant before the kill,
  before that record, is sent again after the restart: at most one per outbox thread
  (`OUTBOX_THREADS`). It is the same e-mail: the same Message-ID and the same link (tokens are
  derived from the secret key and the invitation's nonce, never drawn anew), so mail systems
  and people can tell it is a repeat.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Row, func, select

from bot.db import Database
from bot.enrollment.delivery import CLAIM_SIZE
from bot.enrollment.models import BatchState, Invitation, InvitationBatch, InvitationState
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.tokens import LinkTokens
from console import SlackEmulator
from tests.e2e.enroll_flows import LANDING_LINK, add_result, open_invite, search, wait_for_notice
from tests.reliability.helpers import plain_body
from tests.support.database import RUN_ID_VARIABLE, create_postgres_database, drop_postgres_database
from tests.support.deskops_process import DeskopsProcess
from tests.support.log_secrets import find_leaks_in_text, known_secrets, register_secret
from tests.support.reliability import Figures
from tests.support.slack import (
    HELPDESK_CHANNEL,
    HELPDESK_GROUP,
    HELPDESK_USER,
    bot_environment,
    seed_helpdesk,
)
from tests.support.smtp_sink import SmtpSink

SECRET_KEY = "crash-test-secret-key-0123456789abcdef"
THREADS = 2  # OUTBOX_THREADS; each thread holds at most CLAIM_SIZE invitation e-mails at a time
LEASE_SECONDS = 2


def bulk_directory(path: Path, people: int) -> Path:
    users = [
        {
            "account_name": f"bulk{n:05d}",
            "display_name": f"Bulk Person {n:05d}",
            "first_name": "Bulk",
            "last_name": f"Person {n:05d}",
            "email": f"bulk{n:05d}@customer.example",
        }
        for n in range(1, people + 1)
    ]
    group = {"id": "crash-batch", "name": "Crash Batch", "members": [u["account_name"] for u in users]}
    path.write_text(yaml.safe_dump({"users": users, "groups": [group]}), encoding="utf-8")
    return path


def invitation_state(db: Database) -> tuple[int, int, int]:
    """(invitations, sent, outbox rows claimed and not finished)."""
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(Invitation)) or 0
        sent = session.scalar(select(func.count()).where(Invitation.state == InvitationState.SENT)) or 0
        claimed = (
            session.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.SENDING)) or 0
        )
    return int(total), int(sent), int(claimed)


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


def crash_server(
    emulator: SlackEmulator, smtp_sink: SmtpSink, url: str, tmp_path: Path, people: int
) -> DeskopsProcess:
    """`deskops serve` with a directory of `people` in one group, mail to the sink, and a short
    outbox lease so that a dead process's claims are taken over soon."""
    return DeskopsProcess(
        {
            **bot_environment(emulator),
            "DATABASE_URL": url,
            "SMTP_URL": smtp_sink.url,
            "MAIL_FROM": "helpdesk@msp.example",
            "HELPDESK_USERS": HELPDESK_GROUP,
            "SECRET_KEY": SECRET_KEY,
            "ENROLLMENT_SERVER": "access.msp.example",
            "DIRECTORY_URL": str(bulk_directory(tmp_path / "directory.yaml", people)),
            "OUTBOX_THREADS": str(THREADS),
            "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "LOG_LEVEL": "INFO",
        },
        log_path=tmp_path / "serve.log",
        cwd=tmp_path,
    )


def expected_emails(invitations: Sequence[Row[Any]], url: str) -> dict[str, tuple[str, str]]:
    """Message-ID -> (recipient, enrollment link) of each invitation, as deskops derives them."""
    tokens = LinkTokens(SECRET_KEY.encode())
    return {
        f"<invitation-{id_}-{nonce}@deskops>": (email, f"{url}/enroll/{tokens.token('invitation', nonce)}")
        for id_, email, nonce in invitations
    }


def check_deliveries(
    messages: Sequence[EmailMessage], expected: dict[str, tuple[str, str]]
) -> tuple[int, int]:
    """Every invitation e-mailed, to its person with its link; a repeat the same e-mail. Returns
    (invitations lost, e-mails delivered twice)."""
    received: dict[str, list[EmailMessage]] = defaultdict(list)
    for message in messages:
        received[str(message["Message-ID"])].append(message)
    lost = set(expected) - set(received)
    unknown = set(received) - set(expected)
    assert not lost and not unknown
    duplicates = 0
    for message_id, copies in received.items():
        email, link = expected[message_id]
        for message in copies:
            assert message["To"] == email
            assert set(LANDING_LINK.findall(plain_body(message))) == {link}
        duplicates += len(copies) - 1
        bodies = {(str(m["Subject"]), plain_body(m)) for m in copies}
        assert len(bodies) == 1, f"{message_id} was delivered twice with different content"
    return len(lost), duplicates


def repeat_positions(messages: Sequence[EmailMessage]) -> list[int]:
    """Where in the order of arrival each repeat came (to tell a repeat of the kill from others)."""
    seen: set[str] = set()
    positions = []
    for position, message in enumerate(messages):
        message_id = str(message["Message-ID"])
        if message_id in seen:
            positions.append(position)
        seen.add(message_id)
    return positions


def assert_no_link_in_the_log(server: DeskopsProcess, expected: dict[str, tuple[str, str]]) -> None:
    """The process's own log (formatted by deskops) holds none of the links it e-mailed."""
    for _, link in expected.values():
        register_secret(link.rsplit("/", 1)[1], "link token (from an e-mail deskops serve sent)")
    leaks = find_leaks_in_text(server.log_text(), known_secrets(), source="deskops serve")
    assert not leaks, leaks[:3]


@pytest.fixture
def crash_database(
    request: pytest.FixtureRequest, migrated_sqlite_template: Path, tmp_path: Path
) -> Iterator[str]:
    """A database of this test's own: a SQLite file, or a PostgreSQL database on the shared server."""
    if request.param == "sqlite":
        shutil.copy(migrated_sqlite_template, tmp_path / "deskops.db")
        yield f"sqlite:///{tmp_path / 'deskops.db'}"
        return
    name = f"deskops_crash_{os.environ.get(RUN_ID_VARIABLE, 'solo')}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    yield create_postgres_database(name)
    drop_postgres_database(name)


@pytest.mark.parametrize(
    ("crash_database", "people"),
    [
        pytest.param("sqlite", 2000, id="sqlite-2000-invitees"),
        pytest.param("sqlite", 5000, id="sqlite-5000-invitees", marks=pytest.mark.slow),
        pytest.param("postgresql", 2000, id="postgresql-2000-invitees", marks=pytest.mark.slow),
    ],
    indirect=["crash_database"],
)
def test_kill_9_in_the_middle_of_a_batch_loses_nothing_and_repeats_only_in_flight_mail(
    crash_database: str,
    people: int,
    slack_emulator: SlackEmulator,
    smtp_sink: SmtpSink,
    tmp_path: Path,
    figures: Figures,
) -> None:
    url = crash_database
    seed_helpdesk(slack_emulator)
    figures.watch(slack_emulator)
    server = crash_server(slack_emulator, smtp_sink, url, tmp_path, people)
    db = Database(url)
    try:
        server.start()
        slack_emulator.events_url = server.events_url
        helen = slack_emulator.person(HELPDESK_USER)
        view = open_invite(helen, timeout=20)  # the process has just started, on a busy machine
        search(view, "Crash")
        add_result(view, "Crash Batch")
        wait_for_notice(view, f"Added {people:,} members of Crash Batch.")
        view.choose("platform", "ios")
        view.wait_for_update()
        assert view.submit().closed

        # Mail is flowing: kill the process without warning once a quarter has gone out.
        wait_for(lambda: len(smtp_sink.messages) >= people // 4, timeout=120, what="a quarter of the batch")
        server.kill()
        time.sleep(0.5)  # the sink may still be reading a message whose last bytes were sent
        delivered_at_kill = len(smtp_sink.messages)
        total, sent_at_kill, in_flight = invitation_state(db)
        assert total == people and delivered_at_kill < people, "the batch finished before the kill"
        assert in_flight <= THREADS * CLAIM_SIZE
        time.sleep(LEASE_SECONDS + 1)
        assert len(smtp_sink.messages) == delivered_at_kill  # nothing moves while it is down

        restarted = time.monotonic()
        server.start()
        wait_for(lambda: invitation_state(db)[1] == people, timeout=180, what="every invitation sent")
        recovery = time.monotonic() - restarted

        def batch_state() -> BatchState:
            with db.read() as session:
                return session.scalars(select(InvitationBatch.state)).one()

        # Each e-mail is recorded as sent the moment it is accepted; the batch is marked done when
        # its claim's bookkeeping follows, a moment later.
        wait_for(lambda: batch_state() is BatchState.DONE, timeout=30, what="the batch done")
        with db.read() as session:
            invitations = session.execute(select(Invitation.id, Invitation.email, Invitation.nonce)).all()
        card = slack_emulator.channel(HELPDESK_CHANNEL).wait_for_message(
            lambda m: f"{people:,} invitations sent" in m.all_text(), timeout=30
        )
        assert len(slack_emulator.channel(HELPDESK_CHANNEL).messages()) == 1, "one card, updated in place"
        assert "failed" not in card.all_text()
    finally:
        server.stop()
        db.dispose()

    expected = expected_emails(invitations, server.url)
    lost, duplicates = check_deliveries(smtp_sink.messages, expected)
    assert duplicates <= THREADS, (
        f"{duplicates} e-mails sent twice: more than one per outbox thread "
        f"(repeats arrived as messages {repeat_positions(smtp_sink.messages)}; {delivered_at_kill} before the kill)"
    )
    assert_no_link_in_the_log(server, expected)

    figures.add("invitations in the batch", people)
    figures.add("kill -9 of deskops serve", 1)
    figures.add("faults injected", 1)
    figures.add("e-mails delivered before the kill", delivered_at_kill)
    figures.add("invitations recorded as sent before the kill", sent_at_kill)
    figures.add("outbox rows claimed at the kill (in flight)", in_flight)
    figures.add("e-mails delivered twice (same Message-ID and link)", duplicates)
    figures.add("items lost", lost)
    figures.add("seconds to finish after the restart", round(recovery))
