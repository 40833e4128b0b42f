"""/backup find: users whose name or e-mail holds a text, across the customers a person may act on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from bot.accounts.actions import FindUsers
from bot.accounts.models import BackupUser, ServiceAssignment
from bot.accounts.summary import UserSummary, summarize
from bot.customers.models import Customer
from bot.customers.scope import CustomerScope
from bot.db import Database
from bot.errors import InvalidState
from bot.folding import fold

FIND_TEXT_MIN = 2
FIND_TEXT_MAX = 100


@dataclass(frozen=True)
class FoundUsers:
    text: str
    users: Sequence[BackupUser]
    total: int
    offset: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.users) < self.total


def _like_pattern(folded: str) -> str:
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def find_users(
    session: Session, text: str, scope: CustomerScope, *, offset: int = 0, limit: int = 10
) -> FoundUsers:
    """Any part of the first name, last name, sign-in or notification e-mail, case- and
    accent-insensitively ("zoe" finds Zoë), sorted by name."""
    wanted = fold(text)
    if len(wanted) < FIND_TEXT_MIN:
        raise InvalidState(
            f"Type at least {FIND_TEXT_MIN} letters of a name or e-mail: `/backup find <text>`."
        )
    if len(wanted) > FIND_TEXT_MAX:
        raise InvalidState(f"Type at most {FIND_TEXT_MAX} characters to find a user.")
    condition: ColumnElement[bool] = BackupUser.search_text.like(_like_pattern(wanted), escape="\\")
    if not scope.is_everything:
        in_scope = [
            customer_id
            for customer_id, name in session.execute(select(Customer.id, Customer.name))
            if scope.allows(name)
        ]
        condition = condition & BackupUser.customer_id.in_(in_scope)
    total = session.scalar(select(func.count()).select_from(BackupUser).where(condition)) or 0
    users = session.scalars(
        select(BackupUser)
        .where(condition)
        .options(
            selectinload(BackupUser.customer),
            selectinload(BackupUser.services).selectinload(ServiceAssignment.subscription),
        )
        .order_by(func.lower(BackupUser.last_name), func.lower(BackupUser.first_name), BackupUser.id)
        .offset(max(offset, 0))
        .limit(limit)
    ).all()
    return FoundUsers(text=text.strip(), users=users, total=total, offset=max(offset, 0))


@dataclass(frozen=True)
class FoundPage:
    """A page of `/backup find`, as the answer shows it."""

    text: str
    users: tuple[UserSummary, ...]
    total: int
    offset: int
    has_more: bool


def find_users_page(db: Database, query: FindUsers, *, limit: int) -> FoundPage:
    """`find_users` in its own read transaction, as summaries."""
    with db.read() as session:
        found = find_users(session, query.text, query.scope, offset=query.offset, limit=limit)
        return FoundPage(
            text=found.text,
            users=tuple(summarize(user) for user in found.users),
            total=found.total,
            offset=found.offset,
            has_more=found.has_more,
        )
