"""What a helpdesk person asks of the accounts services: small typed commands, built by the
listeners from Slack payloads (and by jobs and the CLI from their own input)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.customers.scope import CustomerScope


@dataclass(frozen=True)
class UserAction:
    """A person acting on one backup user: a card's button, a command naming the user."""

    user_id: int
    actor: str
    # The customers the person may act on: a user of another customer is refused (OutOfScope).
    scope: CustomerScope


@dataclass(frozen=True)
class ListUsers:
    """One page of a customer's users (`/backup users`, the list's paging buttons)."""

    customer_id: int
    scope: CustomerScope
    offset: int = 0


@dataclass(frozen=True)
class FindUsers:
    """One page of `/backup find <text>`."""

    text: str
    scope: CustomerScope
    offset: int = 0
