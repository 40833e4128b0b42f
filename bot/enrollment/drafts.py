"""The invitee list of the Send Enrollment Invitation modal, kept server-side.

A draft accumulates people over repeated searches; a group's members are added in bulk
(thousands at once); duplicates merge on the e-mail address (or, without one, the directory id).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, cast

from sqlalchemy import Connection, Table, Update, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.enrollment.fields import Field
from bot.enrollment.models import DraftInvitee, InviteDraft, PlatformChoice
from bot.errors import FieldErrors, NotAllowed, NotFound
from bot.integrations.directory.port import DirectoryUser, MatchMode, SearchResult
from bot.once import insert_new
from bot.validation import check_email

CHUNK = 500
DRAFT_LIFETIME = timedelta(days=2)
# How an invitee's merge key starts when it holds the e-mail address (lower-cased).
MAIL_KEY = "mail:"


def merge_key(email: str | None, directory_id: str | None, display_name: str) -> str:
    if email:
        return MAIL_KEY + email.strip().lower()
    return "dir:" + (directory_id or display_name)


def start_draft(session: Session, *, owner: str, channel_id: str | None, now: datetime) -> InviteDraft:
    draft = InviteDraft(
        id=str(uuid.uuid4()),
        owner=owner,
        channel_id=channel_id,
        platform=PlatformChoice.BOTH,
        search={},
        created_at=now,
        updated_at=now,
    )
    session.add(draft)
    return draft


def owned_draft(session: Session, draft_id: str, owner: str) -> InviteDraft:
    draft = session.get(InviteDraft, draft_id)
    if draft is None:
        raise expired()
    check_owner(draft.owner, owner)
    return draft


def expired() -> NotFound:
    return NotFound("This invitation form has expired; type `/enroll invite` to start again.")


def check_owner(draft_owner: str, owner: str) -> None:
    if draft_owner != owner:
        raise NotAllowed("This invitation form belongs to someone else.")


# --- search results kept with the draft -------------------------------------------------------


@dataclass(frozen=True)
class FoundUser:
    id: str
    display_name: str
    account_name: str
    email: str | None


@dataclass(frozen=True)
class FoundGroup:
    id: str
    name: str
    description: str | None
    member_count: int | None


@dataclass(frozen=True)
class SearchState:
    text: str
    mode: MatchMode
    users: list[FoundUser]
    groups: list[FoundGroup]
    truncated: bool
    problem: str | None

    @property
    def searched(self) -> bool:
        return bool(self.text)


def search_data(
    *, text: str, mode: MatchMode, result: SearchResult | None, problem: str | None
) -> dict[str, Any]:
    """A search as the draft keeps it (`search_state_of` reads it back)."""
    return {
        "text": text,
        "mode": mode.value,
        "users": [
            vars(FoundUser(u.id, u.display_name, u.account_name, u.email))
            for u in (result.users if result else [])
        ],
        "groups": [
            vars(FoundGroup(g.id, g.name, g.description, g.member_count))
            for g in (result.groups if result else [])
        ],
        "truncated": bool(result and result.truncated),
        "problem": problem,
    }


def _record_search() -> Update:
    table = cast(Table, InviteDraft.__table__)
    draft = table.c
    at = bindparam("pressed_at", type_=draft.search_at.type)
    return (
        update(table)
        .where(
            draft.id == bindparam("the_draft", type_=draft.id.type),
            draft.owner == bindparam("the_owner", type_=draft.owner.type),
            or_(draft.search_at.is_(None), draft.search_at < at),
        )
        .values(
            search=bindparam("results", type_=draft.search.type),
            search_at=at,
            notice=None,
            updated_at=bindparam("when", type_=draft.updated_at.type),
        )
    )


_RECORD_SEARCH = _record_search()


def record_search(
    connection: Connection, draft: DraftRef, data: dict[str, Any], *, at: int, now: datetime
) -> bool:
    """Keeps a search (`search_data`) pressed at `at` with the draft and clears its notice, in one
    UPDATE (no read first), unless the draft keeps a search pressed later: False then, and
    when the draft is gone or someone else's."""
    parameters = {
        "the_draft": draft.draft_id,
        "the_owner": draft.owner,
        "results": data,
        "pressed_at": at,
        "when": now,
    }
    return bool(connection.execute(_RECORD_SEARCH, parameters).rowcount)


@dataclass(frozen=True)
class DraftRef:
    draft_id: str
    owner: str


def search_state(draft: InviteDraft) -> SearchState:
    return search_state_of(draft.search or {})


def search_state_of(data: dict[str, Any]) -> SearchState:
    return SearchState(
        text=str(data.get("text") or ""),
        mode=MatchMode(data.get("mode") or MatchMode.BEGINS_WITH),
        users=[FoundUser(**u) for u in data.get("users", [])],
        groups=[FoundGroup(**g) for g in data.get("groups", [])],
        truncated=bool(data.get("truncated")),
        problem=data.get("problem"),
    )


def found_user(draft: InviteDraft, user_id: str) -> FoundUser:
    found = next((u for u in search_state(draft).users if u.id == user_id), None)
    if found is None:
        raise NotFound("That person is no longer in the search results; search again.")
    return found


def found_group(draft: InviteDraft, group_id: str) -> FoundGroup:
    found = next((g for g in search_state(draft).groups if g.id == group_id), None)
    if found is None:
        raise NotFound("That group is no longer in the search results; search again.")
    return found


# --- invitees ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Added:
    added: int
    already_listed: int


def chunked(items: Iterable[DirectoryUser], size: int) -> Iterator[list[DirectoryUser]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def add_invitees(
    session: Session,
    draft: InviteDraft,
    people: Iterable[DirectoryUser],
    *,
    source: str | None,
    now: datetime,
) -> Added:
    """Add people (a stream: a group's members arrive page by page), merging duplicates."""
    added = duplicates = 0
    for chunk in chunked(people, CHUNK):
        keys = {merge_key(p.email, p.id, p.display_name): p for p in chunk}
        duplicates += len(chunk) - len(keys)
        present = set(
            session.scalars(
                select(DraftInvitee.merge_key).where(
                    DraftInvitee.draft_id == draft.id, DraftInvitee.merge_key.in_(list(keys))
                )
            )
        )
        duplicates += len(present)
        fresh = [
            {
                "draft_id": draft.id,
                "merge_key": key,
                "directory_id": person.id,
                "account_name": person.account_name[:200] if person.account_name else None,
                "display_name": (person.display_name or person.account_name or person.email or "?")[:200],
                "email": person.email,
                "source": source[:200] if source else None,
            }
            for key, person in keys.items()
            if key not in present
        ]
        # Two Adds of the same people at once: the database keeps one row per person.
        inserted = insert_new(session, DraftInvitee, fresh, key=["draft_id", "merge_key"])
        added += inserted
        duplicates += len(fresh) - inserted
    draft.updated_at = now
    return Added(added=added, already_listed=duplicates)


def remove_invitee(session: Session, draft: InviteDraft, invitee_id: int, *, now: datetime) -> None:
    session.execute(
        delete(DraftInvitee).where(DraftInvitee.draft_id == draft.id, DraftInvitee.id == invitee_id)
    )
    draft.updated_at = now


def remove_all(session: Session, draft: InviteDraft, *, now: datetime) -> None:
    session.execute(delete(DraftInvitee).where(DraftInvitee.draft_id == draft.id))
    draft.updated_at = now


def invitee(session: Session, draft: InviteDraft, invitee_id: int) -> DraftInvitee:
    row = session.scalar(
        select(DraftInvitee).where(DraftInvitee.draft_id == draft.id, DraftInvitee.id == invitee_id)
    )
    if row is None:
        raise NotFound("That person is no longer on the list.")
    return row


def set_invitee_email(
    session: Session, draft: InviteDraft, invitee_id: int, email: str, *, now: datetime
) -> None:
    """Give an invitee without an address one; if someone on the list already has it, merge."""
    try:
        address = check_email(email)
    except ValueError as error:
        raise FieldErrors({Field.EMAIL: str(error)}) from None
    row = invitee(session, draft, invitee_id)
    key = merge_key(address, row.directory_id, row.display_name)
    twin = session.scalar(
        select(DraftInvitee.id).where(
            DraftInvitee.draft_id == draft.id, DraftInvitee.merge_key == key, DraftInvitee.id != row.id
        )
    )
    if twin is not None:
        session.delete(row)
    else:
        row.email = address
        row.merge_key = key
    draft.updated_at = now


@dataclass(frozen=True)
class InviteePage:
    invitees: Sequence[DraftInvitee]
    total: int
    without_email: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.invitees) < self.total


def invitee_page(session: Session, draft: InviteDraft, *, offset: int, limit: int) -> InviteePage:
    # Both counts in one query (one round trip): COUNT(email) counts the rows that have one.
    total, with_email = session.execute(
        select(func.count(), func.count(DraftInvitee.email)).where(DraftInvitee.draft_id == draft.id)
    ).one()
    without = total - with_email
    offset = max(0, min(offset, max(total - 1, 0) // limit * limit))
    rows = session.scalars(
        select(DraftInvitee)
        .where(DraftInvitee.draft_id == draft.id)
        .order_by(DraftInvitee.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return InviteePage(invitees=rows, total=total, without_email=without, offset=offset, limit=limit)


def names_without_email(session: Session, draft: InviteDraft, *, limit: int = 5) -> list[str]:
    return list(
        session.scalars(
            select(DraftInvitee.display_name)
            .where(DraftInvitee.draft_id == draft.id, DraftInvitee.email.is_(None))
            .order_by(DraftInvitee.id)
            .limit(limit)
        )
    )


def forget_old_drafts(session: Session, *, now: datetime) -> int:
    result = session.execute(delete(InviteDraft).where(InviteDraft.updated_at < now - DRAFT_LIFETIME))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
