"""Choosing the mailer from SMTP_URL: smtp:// or smtps:// is a server, anything else a folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bot.integrations.mail.file import FileMailer
from bot.integrations.mail.port import ConnectionSlots, Mailer
from bot.integrations.mail.smtp import SmtpMailer
from bot.integrations.mail.smtp_url import (
    SMTP_SCHEMES,
    parse_smtp_url,
    redact_smtp_url,
    relay_name,
    url_scheme,
)


def build_mailer(
    smtp_url: str,
    *,
    mail_from: str,
    timeout: float,
    connections: int = 1,
    slots_for: Callable[[str], ConnectionSlots] | None = None,
) -> Mailer:
    """The mailer SMTP_URL names; ValueError (one line, password redacted) when it cannot be used.

    `timeout` is the default for SMTP conversations (SMTP_TIMEOUT_SECONDS); `?timeout=` in the
    URL overrides it. `connections`: how many messages may be on their way to the SMTP server
    at once (one per outbox thread). `slots_for(relay)`: the connection slots all replicas
    share for that relay (SMTP_MAX_CONNECTIONS). Nothing is connected here: `check()` does that.
    """
    url = smtp_url.strip()
    if not url:
        raise ValueError(
            "SMTP_URL is empty; use smtp://host:port, smtps://host:port or a folder such as ./outbox/"
        )
    scheme = url_scheme(url)
    if scheme in SMTP_SCHEMES:
        config = parse_smtp_url(url, default_timeout=timeout)
        slots = slots_for(relay_name(config)) if slots_for is not None else None
        return SmtpMailer(config, mail_from=mail_from, max_connections=connections, slots=slots)
    if scheme == "file":
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ValueError(
                f"SMTP_URL {url}: a file:// URL must name a local folder, e.g. file:///var/outbox"
            )
        return FileMailer(Path(unquote(parts.path)), mail_from)
    if scheme is not None:
        raise ValueError(
            f"SMTP_URL {redact_smtp_url(url)}: unknown scheme {scheme!r}; use smtp://host:port, "
            "smtps://host:port or a folder for .eml files"
        )
    return FileMailer(Path(url), mail_from)
