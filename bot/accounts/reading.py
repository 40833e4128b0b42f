"""What the Slack layer reads about users to render them, each in its own read transaction:
summaries (plain values), never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass

from bot.accounts.actions import ListUsers, UserAction
from bot.accounts.platform_state import read_back_quietly
from bot.accounts.queries import (
    activation_mail_problem,
    check_customer_in_scope,
    get_user,
    last_activation_sent,
    list_users,
    live_user,
    user_counts,
)
from bot.accounts.summary import UserSummary, summarize
from bot.clock import Clock
from bot.customers.scope import CustomerScope
from bot.customers.service import CustomerSummary, customer_summaries, find_customer, summarize_customer
from bot.db import Database
from bot.integrations.backup.port import BackupPlatform


def user_card_summary(db: Database, user_id: int) -> UserSummary:
    """The user as their card shows them: status, services, the activation e-mail's state."""
    with db.read() as session:
        user = get_user(session, user_id)
        return summarize(
            user,
            activation_sent_at=last_activation_sent(session, user_id),
            activation_problem=activation_mail_problem(session, user_id),
        )


def user_summary(db: Database, action: UserAction) -> UserSummary:
    """The user, if the person may see their customer."""
    with db.read() as session:
        user = get_user(session, action.user_id)
        action.scope.check(user.customer.name)
        return summarize(user)


def live_user_summary(db: Database, action: UserAction) -> UserSummary:
    """The user a change is about: in the person's scope and not deleted."""
    with db.read() as session:
        return summarize(live_user(session, action.user_id, action.scope))


@dataclass(frozen=True)
class UserListing:
    customer: CustomerSummary
    users: tuple[UserSummary, ...]
    total: int
    offset: int
    has_more: bool


def customer_users(
    db: Database, platform: BackupPlatform, clock: Clock, request: ListUsers, *, limit: int
) -> UserListing:
    """A page of the customer's users, their activation read back from the platform first (an
    unreachable platform shows what deskops knows)."""
    check_customer_in_scope(db, request.customer_id, request.scope)
    read_back_quietly(db, platform, clock, customer_id=request.customer_id)
    with db.read() as session:
        page = list_users(session, request.customer_id, offset=max(request.offset, 0), limit=limit)
        return UserListing(
            customer=summarize_customer(page.customer),
            users=tuple(summarize(user) for user in page.users),
            total=page.total,
            offset=page.offset,
            has_more=page.has_more,
        )


@dataclass(frozen=True)
class CustomersOverview:
    """The customers in the person's scope and how many users each has."""

    customers: tuple[tuple[CustomerSummary, int], ...]


def customer_to_list(
    db: Database, *, customer_text: str | None, scope: CustomerScope
) -> int | CustomersOverview:
    """`/backup users [customer]`: the customer named (or the only one in scope), else the overview."""
    with db.read() as session:
        customers = [c for c in customer_summaries(session) if scope.allows(c.name)]
        if customer_text:
            return find_customer(session, customer_text, scope).id
        if len(customers) == 1:
            return customers[0].id
        counts = user_counts(session)
        return CustomersOverview(tuple((c, counts.get(c.id, 0)) for c in customers))
