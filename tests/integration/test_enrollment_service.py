"""Enrollment services on SQLite and PostgreSQL (each test rolled back)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.enrollment import drafts, invite_form, invite_search
from bot.enrollment.batch_progress import batch_progress
from bot.enrollment.batches import send_batch
from bot.enrollment.devices import InvitationLinkInvalid, LinkProblem, enroll_device
from bot.enrollment.draft_reads import read_draft_page
from bot.enrollment.invitations import expire_due, resend_invitation
from bot.enrollment.invite_form import FormRef, FormSettings
from bot.enrollment.licences import additional_licences, additional_licences_of_batch, licences_for
from bot.enrollment.models import Device, Invitation, InvitationState, InviteDraft, Platform, PlatformChoice
from bot.errors import FieldErrors, NotAllowed
from bot.integrations.directory.port import DirectoryUser, MatchMode
from bot.outbox.models import OutboxMessage
from bot.request_keys import AlreadyClaimed
from bot.tokens import LinkTokens
from tests.support.fakes import InMemoryDirectory

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TOKENS = LinkTokens(b"k" * 32)


def person(n: int, email: str | None = "") -> DirectoryUser:
    address = f"user{n}@example.com" if email == "" else email
    return DirectoryUser(
        id=f"uid=u{n}",
        account_name=f"u{n}",
        display_name=f"User {n}",
        first_name=None,
        last_name=None,
        email=address,
    )


def test_licences_are_three_devices_each() -> None:
    assert [licences_for(n, 3) for n in (0, 1, 3, 4, 6, 7)] == [0, 1, 1, 2, 2, 3]
    assert additional_licences({"a": 3, "b": 1}, {"a": 1, "b": 2, "c": 2}, per_licence=3) == 1 + 0 + 1


def test_a_batch_counts_the_licences_its_invitations_would_add(db: Database) -> None:
    # user1 has 2 devices, user2 has 3, user3 none; each is invited for two devices:
    # user1 4 devices (+1 licence), user2 5 (+1), user3 2 (+1).
    with db.transaction() as session:
        for email, count in (("user1@example.com", 2), ("user2@example.com", 3)):
            for number in range(count):
                session.add(
                    Device(
                        owner_email=email,
                        platform=Platform.IOS,
                        device_id=f"{email}-{number}",
                        enrolled_at=NOW,
                    )
                )
        draft = drafts.start_draft(session, owner="U1", channel_id="C1", now=NOW)
        drafts.add_invitees(
            session, draft, [person(1), person(2), person(3, "USER3@example.com")], source=None, now=NOW
        )
        batch = send_batch(
            session,
            draft=draft,
            days=7,
            platform=PlatformChoice.BOTH,
            actor="U1",
            now=NOW,
            tokens=TOKENS,
            devices_per_person=2,
        )
        assert batch.invitations == 6
        assert batch_progress(session, batch.id, per_licence=3).additional_licences == 3
        # five devices a licence: only user3, who has none yet, needs one more
        assert batch_progress(session, batch.id, per_licence=5).additional_licences == 1
        assert additional_licences_of_batch(session, batch.id, per_licence=1) == 6


def test_the_form_reads_its_page_counts_and_forecast_in_one_query(db: Database) -> None:
    """The page of invitees, both counts and the licence forecast the modal shows; a page past
    the end (people removed meanwhile) shows the last one."""
    with db.transaction() as session:
        session.add(
            Device(owner_email="user1@example.com", platform=Platform.IOS, device_id="i1", enrolled_at=NOW)
        )
        draft = drafts.start_draft(session, owner="U1", channel_id="C1", now=NOW)
        people = [person(1, "USER1@example.com"), *(person(n) for n in range(2, 25)), person(25, None)]
        drafts.add_invitees(session, draft, people, source=None, now=NOW)
        draft.devices_per_person = 2
        session.flush()
        page = read_draft_page(session.connection(), draft.id, offset=20, limit=20, per_licence=3)
        assert page is not None and (page.offset, page.total, page.without_email) == (20, 25, 1)
        assert [p.display_name for p in page.invitees] == [f"User {n}" for n in range(21, 26)]
        # 24 with an address, 2 devices each: user1's third device fits the licence they have.
        assert (page.forecast.invitees, page.forecast.invitations, page.forecast.additional_licences) == (
            24,
            48,
            23,
        )
        past = read_draft_page(session.connection(), draft.id, offset=60, limit=20, per_licence=3)
        assert past is not None and past.offset == 20 and len(past.invitees) == 5
        assert (
            read_draft_page(session.connection(), "no-such-draft", offset=0, limit=20, per_licence=3) is None
        )


def test_duplicates_merge_by_email_case_insensitively(db: Database) -> None:
    with db.transaction() as session:
        draft = drafts.start_draft(session, owner="U1", channel_id="C1", now=NOW)
        first = drafts.add_invitees(session, draft, [person(1), person(2)], source=None, now=NOW)
        again = drafts.add_invitees(
            session, draft, [person(1, "USER1@example.com"), person(3), person(3)], source="Sales", now=NOW
        )
        assert (first.added, again.added, again.already_listed) == (2, 1, 2)
        assert drafts.invitee_page(session, draft, offset=0, limit=20).total == 3


def test_sending_needs_people_with_addresses_and_is_idempotent(db: Database) -> None:
    with db.transaction() as session:
        draft = drafts.start_draft(session, owner="U1", channel_id="C1", now=NOW)
        with pytest.raises(FieldErrors, match="Add at least one person"):
            send_batch(
                session, draft=draft, days=7, platform=PlatformChoice.BOTH, actor="U1", now=NOW, tokens=TOKENS
            )
        drafts.add_invitees(session, draft, [person(1), person(2, None)], source=None, now=NOW)
        with pytest.raises(FieldErrors, match=r"1 on the list have no e-mail address \(User 2\)"):
            send_batch(
                session, draft=draft, days=7, platform=PlatformChoice.BOTH, actor="U1", now=NOW, tokens=TOKENS
            )
        missing = drafts.invitee_page(session, draft, offset=0, limit=20).invitees[1]
        drafts.set_invitee_email(session, draft, missing.id, "user2@example.com", now=NOW)
        draft_id = draft.id
        batch = send_batch(
            session, draft=draft, days=7, platform=PlatformChoice.BOTH, actor="U1", now=NOW, tokens=TOKENS
        )
        # Both: one invitation (one e-mail with both store links) per person.
        assert (batch.invitees, batch.invitations) == (2, 2)
        assert (
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == "enroll.invitation_email")
            )
            == 2
        )
        # The second click of a double click finds the first batch.
        replay = InviteDraft(
            id=draft_id,
            owner="U1",
            channel_id="C1",
            platform=PlatformChoice.BOTH,
            search={},
            created_at=NOW,
            updated_at=NOW,
        )
        assert (
            send_batch(
                session,
                draft=replay,
                days=7,
                platform=PlatformChoice.BOTH,
                actor="U1",
                now=NOW,
                tokens=TOKENS,
            ).id
            == batch.id
        )


def test_tokens_open_enroll_expire_and_resend(db: Database) -> None:
    with db.transaction() as session:
        draft = drafts.start_draft(session, owner="U1", channel_id=None, now=NOW)
        drafts.add_invitees(session, draft, [person(1)], source=None, now=NOW)
        send_batch(
            session, draft=draft, days=2, platform=PlatformChoice.IOS, actor="U1", now=NOW, tokens=TOKENS
        )
        invitation = session.scalars(select(Invitation)).one()
        token = TOKENS.token("invitation", invitation.nonce)
        assert token not in (invitation.token_hash, invitation.nonce)  # only its hash is stored
        result = enroll_device(
            session, token=token, platform=Platform.IOS, device_id="ipad-1", now=NOW, per_licence=3
        )
        assert (result.created, result.owner_devices, result.owner_licences) == (True, 1, 1)
        assert invitation.state is InvitationState.ENROLLED

        drafts_two = drafts.start_draft(session, owner="U1", channel_id=None, now=NOW)
        drafts.add_invitees(session, drafts_two, [person(2)], source=None, now=NOW)
        send_batch(
            session,
            draft=drafts_two,
            days=2,
            platform=PlatformChoice.ANDROID,
            actor="U1",
            now=NOW,
            tokens=TOKENS,
        )
        second = session.scalars(select(Invitation).where(Invitation.email_key == "user2@example.com")).one()
        second.state = InvitationState.SENT
        assert expire_due(session, now=NOW + timedelta(days=2)) == 1
        old = TOKENS.token("invitation", second.nonce)
        with pytest.raises(InvitationLinkInvalid) as expired:
            enroll_device(
                session, token=old, platform=Platform.ANDROID, device_id="pixel", now=NOW, per_licence=3
            )
        assert expired.value.problem is LinkProblem.EXPIRED
        resend_invitation(
            session, invitation_id=second.id, actor="U1", now=NOW + timedelta(days=3), tokens=TOKENS
        )
        assert second.expires_at == NOW + timedelta(days=5) and second.state is InvitationState.QUEUED
        with pytest.raises(InvitationLinkInvalid) as replaced:
            enroll_device(
                session, token=old, platform=Platform.ANDROID, device_id="pixel", now=NOW, per_licence=3
            )
        assert replaced.value.problem is LinkProblem.REVOKED  # the old link says it was replaced


def test_a_search_claims_its_request_with_the_forms_read_and_a_repeat_shows_nothing(
    database_url: str,
) -> None:
    """The retry claim is made by the read that runs beside the directory search (on
    PostgreSQL in the same statement): a retry of the request stops before anything is shown,
    and a search refused (someone else's form) claims nothing."""
    db = Database(database_url)
    try:
        settings = FormSettings(default_language="en", devices_per_licence=3)
        form = invite_form.start_form(db, owner="U1", channel_id="C1", now=NOW, settings=settings)
        ref = FormRef(form.draft_id, "U1")
        people = InMemoryDirectory()
        people.add_user("uid=jdoe", "John Doe", "john.doe@example.com")

        def search(owner: str, key: str) -> invite_search.Found:
            command = invite_search.Search(FormRef(form.draft_id, owner), "jo", MatchMode.BEGINS_WITH, at=1)
            return invite_search.find(db, people, command, now=NOW, settings=settings, once=key)

        with pytest.raises(NotAllowed):
            search("U2", "request-1")
        found = search("U1", "request-1")
        assert [u.display_name for u in found.form.summary.search.users] == ["John Doe"]
        with pytest.raises(AlreadyClaimed):
            search("U1", "request-1")
        assert invite_form.show_form(db, ref, settings=settings).summary.search.users == []  # nothing kept
    finally:
        db.dispose()
