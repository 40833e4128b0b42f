from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True)
class InlineImage:
    """An image the HTML part shows as `<img src="cid:{content_id}">`: sent inside the message
    (multipart/related), so it shows without loading remote content."""

    content_id: str  # without angle brackets, e.g. "invitation-qr@deskops"
    data: bytes
    subtype: str = "png"  # image/<subtype>
    filename: str = "image.png"


@dataclass(frozen=True)
class OutgoingEmail:
    """A rendered e-mail: plain text plus an HTML alternative (with its inline images)."""

    to: str
    subject: str
    text: str
    html: str
    # Deterministic per outbox row, so a receiver (and our tests) can recognise a re-delivery.
    message_id: str
    headers: dict[str, str] = field(default_factory=dict)
    inline_images: tuple[InlineImage, ...] = ()


class MailError(Exception):
    """Mail could not be sent. `str(error)` is a sentence a helpdesk person can act on.

    `permanent` means retrying the same message cannot help (e.g. the recipient address is
    refused); configuration problems (login refused, TLS name mismatch) are not permanent:
    the message waits until the settings are fixed.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class DeferReason(StrEnum):
    """Why a message waits although nothing is wrong with it."""

    SLOW_DOWN = "slow_down"  # the relay asked us to slow down
    DAILY_QUOTA = "daily_quota"  # the relay's daily quota is used up
    CONNECTIONS = "connections"  # the relay refused another connection at once
    SLOTS = "slots"  # every connection deskops may open to the relay (SMTP_MAX_CONNECTIONS) is in use
    RATE = "rate"  # SMTP_RATE_PER_MINUTE: the next free moment is later than this claim can wait
    DAILY_LIMIT = "daily_limit"  # SMTP_DAILY_LIMIT is reached for today


class MailDeferred(MailError):
    """Nothing was sent and nothing is wrong with the message: it waits, untouched, until
    `until` (or `retry_after` seconds), and is neither an attempt nor a failure."""

    def __init__(
        self,
        message: str,
        *,
        reason: DeferReason,
        retry_after: float | None = None,
        until: datetime | None = None,
    ) -> None:
        super().__init__(message, permanent=False)
        self.reason = reason
        self.retry_after = retry_after
        self.until = until


class ConnectionLease(Protocol):
    def renew(self) -> bool:
        """Keep the slot; False when it was lost (expired and taken): close the connection."""

    def release(self) -> None: ...


class ConnectionSlots(Protocol):
    """Connections to the relay that all replicas together may hold (SMTP_MAX_CONNECTIONS)."""

    def take(self) -> ConnectionLease | None:
        """A free slot, held until released (or until it expires, if this process dies)."""


class Mailer(Protocol):
    def send(self, email: OutgoingEmail) -> None:
        """Deliver one message or raise MailError."""

    def check(self) -> str:
        """Open a session (TLS and login included) without sending; return a one-line summary
        or raise MailError saying what is wrong."""

    def close(self) -> None:
        """Release any open connection."""
