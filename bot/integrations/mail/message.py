"""Turning an OutgoingEmail into an RFC 5322 message, the same way for every mailer."""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, getaddresses

from bot.integrations.mail.port import OutgoingEmail

# Headers build_mime owns; letting `OutgoingEmail.headers` replace them would break
# re-delivery detection (Message-ID) or the envelope (To).
RESERVED_HEADERS = frozenset({"from", "to", "subject", "date", "message-id", "mime-version", "content-type"})


def message_id_header(message_id: str) -> str:
    """`<message_id@deskops>`, or `<message_id>` when it already names a domain."""
    bare = message_id.strip().removeprefix("<").removesuffix(">")
    if not bare:
        raise ValueError("an e-mail needs a non-empty message id")
    return f"<{bare}>" if "@" in bare else f"<{bare}@deskops>"


def envelope_recipients(to: str) -> list[str]:
    """The bare addresses of a To value (`Jane <jane@example.com>, bob@example.com`)."""
    return [address for _name, address in getaddresses([to]) if address]


def build_mime(email: OutgoingEmail, mail_from: str, *, now: datetime | None = None) -> EmailMessage:
    """A multipart/alternative message (text/plain, then text/html).

    Raises ValueError for a header that would be unsafe to send (a line break in the subject
    or an address: the default email policy refuses them, so no header can be injected).
    """
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = message_id_header(email.message_id)
    for name, value in email.headers.items():
        if name.lower() in RESERVED_HEADERS:
            raise ValueError(f"the header {name} is set by the mailer and cannot be overridden")
        message[name] = value
    message.set_content(email.text, subtype="plain", charset="utf-8")
    message.add_alternative(email.html, subtype="html", charset="utf-8")
    return message


def needs_smtputf8(message: EmailMessage) -> bool:
    """True when an address has non-ASCII characters (the server must offer SMTPUTF8)."""
    for name in ("From", "To"):
        header = message[name]
        addresses: tuple[Address, ...] = getattr(header, "addresses", ())
        if any(not address.addr_spec.isascii() for address in addresses):
            return True
    return False


def to_bytes(message: EmailMessage) -> bytes:
    """The wire form: CRLF line endings, lines folded for SMTP."""
    return message.as_bytes(policy=SMTPUTF8 if needs_smtputf8(message) else SMTP)
