from __future__ import annotations

from dataclasses import dataclass, field
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


class Mailer(Protocol):
    def send(self, email: OutgoingEmail) -> None:
        """Deliver one message or raise MailError."""

    def check(self) -> str:
        """Open a session (TLS and login included) without sending; return a one-line summary
        or raise MailError saying what is wrong."""

    def close(self) -> None:
        """Release any open connection."""
