"""Outbox jobs of the accounts domain and the user cards they keep up to date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from bot.outbox.service import NewEffect, enqueue


class AccountJob(StrEnum):
    """Outbox kinds of this domain (handlers in bot/accounts/delivery.py)."""

    PROVISION = "accounts.provision"
    ACTIVATION_EMAIL = "accounts.activation_email"
    PLATFORM_ACTIVATION = "accounts.platform_activation"
    USER_CARD = "accounts.user_card"
    USER_CARD_REFRESH = "accounts.user_card_refresh"
    # The platform follows the user's state (Disabled or not); the handler reads the state then.
    SET_ENABLED = "accounts.set_enabled"
    # The account is deleted on the platform (the user's record stays, *Deleted*).
    DELETE_ACCOUNT = "accounts.delete_account"
    # Contact details and role on the platform follow an edit.
    UPDATE_ACCOUNT = "accounts.update_account"
    # A line in the thread of each of the user's cards ("Disabled by …").
    CARD_FOLLOW_UP = "accounts.card_follow_up"
    # That line in one card's thread (one job per card: a retry never repeats a posted line).
    CARD_THREAD_REPLY = "accounts.card_thread_reply"


class CardHeadline(StrEnum):
    CREATED = "Backup user created"
    SERVICE_ASSIGNED = "Backup service assigned"
    SETTINGS_CHANGED = "Backup settings changed"


def post_cards(
    session: Session,
    user_id: int,
    *,
    channels: Sequence[str],
    headline: CardHeadline,
    actor: str,
    now: datetime,
    change_key: str,
) -> None:
    """Queue the user's card for each channel, once per change (`change_key`)."""
    for card in user_cards(user_id, channels=channels, headline=headline, actor=actor, change_key=change_key):
        enqueue(session, kind=card.kind, payload=card.payload, now=now, dedupe_key=card.dedupe_key)


def user_cards(
    user_id: int, *, channels: Sequence[str], headline: CardHeadline, actor: str, change_key: str
) -> list[NewEffect]:
    """The user's card for each channel, as queued once per change (`change_key`)."""
    return [
        NewEffect(
            AccountJob.USER_CARD,
            {"user_id": user_id, "channel": channel, "requester": actor, "headline": headline.value},
            f"user-card:{user_id}:{channel}:{change_key}",
        )
        for channel in dict.fromkeys(channels)
    ]


def refresh_cards(session: Session, user_id: int, *, now: datetime) -> None:
    enqueue(session, kind=AccountJob.USER_CARD_REFRESH, payload={"user_id": user_id}, now=now)


class FollowUp(StrEnum):
    """What a line in a user card's thread says happened."""

    DISABLED = "disabled"
    ENABLED = "enabled"
    DELETED = "deleted"
    EDITED = "edited"


def follow_up_in_thread(
    session: Session, user_id: int, *, change: FollowUp, actor: str, now: datetime, change_key: str
) -> None:
    """Queue a line for the thread of each card about the user (instead of a new top-level post)."""
    enqueue(
        session,
        kind=AccountJob.CARD_FOLLOW_UP,
        payload={"user_id": user_id, "change": change.value, "actor": actor},
        now=now,
        dedupe_key=f"user-follow-up:{user_id}:{change_key}",
    )
