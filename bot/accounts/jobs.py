"""Outbox jobs of the accounts domain and the user cards they keep up to date."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class CardIfNone:
    """Where a user with no card yet gets one for a change, and its headline."""

    channels: Sequence[str]
    headline: CardHeadline


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
    SERVICE_ASSIGNED = "service_assigned"
    SETTINGS_CHANGED = "settings_changed"


def follow_up_in_thread(
    session: Session,
    user_id: int,
    *,
    change: FollowUp,
    actor: str,
    now: datetime,
    change_key: str,
    card_if_none: CardIfNone | None = None,
) -> None:
    """Queue a line for the thread of each card about the user (instead of a new top-level post).
    With `card_if_none`, a user who has no card yet (imported from a file or from the platform)
    gets one posted there instead, so the change is announced somewhere."""
    payload: dict[str, object] = {"user_id": user_id, "change": change.value, "actor": actor}
    if card_if_none is not None:
        payload["card_if_none"] = {
            "channels": list(card_if_none.channels),
            "headline": card_if_none.headline.value,
        }
    enqueue(
        session,
        kind=AccountJob.CARD_FOLLOW_UP,
        payload=payload,
        now=now,
        dedupe_key=f"user-follow-up:{user_id}:{change_key}",
    )
