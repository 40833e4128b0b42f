"""The real mailer: SMTP with STARTTLS or implicit TLS (SMTPS) and login.

Connections are kept open and reused from a pool (bot/integrations/mail/smtp_pool.py): up to
`max_connections` in this process, one per message on its way (the outbox threads), and with
`slots` at most SMTP_MAX_CONNECTIONS across every replica, since servers limit concurrent
sessions per client rather than messages per session. A connection the server has dropped
(idle timeout, restart, 421) is replaced transparently, but only when the failure happened
before the message was handed over, so nothing is sent twice.
"""

from __future__ import annotations

import functools
import logging
import smtplib
import socket
import ssl

from bot.integrations.mail.message import build_mime, envelope_recipients
from bot.integrations.mail.port import ConnectionSlots, MailError, OutgoingEmail
from bot.integrations.mail.smtp_errors import (
    Phase,
    certificate_names,
    certificate_problem,
    server_text,
    translate,
)
from bot.integrations.mail.smtp_pool import SmtpSessions
from bot.integrations.mail.smtp_transaction import SmtpTransaction, StaleConnection, close_quietly
from bot.integrations.mail.smtp_url import (
    SmtpConfig,
    SmtpSecurity,
    parse_smtp_url,
    redact_smtp_url,
    relay_name,
)

__all__ = ["SmtpMailer", "redact_smtp_url"]

log = logging.getLogger(__name__)


@functools.cache
def _local_hostname() -> str:
    # smtplib would call getfqdn() (a reverse DNS look-up) for every connection.
    return socket.getfqdn()


class SmtpMailer:
    def __init__(
        self,
        config: SmtpConfig,
        *,
        mail_from: str,
        max_connections: int = 1,
        slots: ConnectionSlots | None = None,
    ) -> None:
        """`max_connections`: how many messages may be on their way at once from this process,
        each on its own connection (the outbox threads); connections are kept open and reused.
        `slots`: the connections all replicas together may hold (SMTP_MAX_CONNECTIONS)."""
        self.config = config
        self.mail_from = mail_from
        self._tls = None if config.security is SmtpSecurity.PLAIN else self._tls_context(check_hostname=True)
        self._sessions = SmtpSessions(self._open, size=max_connections, slots=slots, address=config.address)
        self._transaction = SmtpTransaction(config, mail_from)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        mail_from: str,
        timeout: float,
        max_connections: int = 1,
        slots: ConnectionSlots | None = None,
    ) -> SmtpMailer:
        """Raises ValueError naming what to fix in SMTP_URL."""
        config = parse_smtp_url(url, default_timeout=timeout)
        return cls(config, mail_from=mail_from, max_connections=max_connections, slots=slots)

    def __repr__(self) -> str:
        return f"SmtpMailer({self.describe()})"

    @property
    def relay(self) -> str:
        """The name the relay's shared limits are kept under (login and server, no password)."""
        return relay_name(self.config)

    def describe(self) -> str:
        login = f", logged in as {self.config.user}" if self.config.user else ", no login"
        return f"{self.config.address} {self.config.security.label}{login}"

    # --- Mailer ---------------------------------------------------------------------------

    def send(self, email: OutgoingEmail) -> None:
        try:
            message = build_mime(email, self.mail_from)
        except ValueError as exc:
            raise MailError(f"the e-mail to {email.to!r} cannot be built: {exc}", permanent=True) from None
        recipients = envelope_recipients(email.to)
        if not recipients:
            raise MailError(f"the e-mail has no recipient address (To: {email.to!r})", permanent=True)
        session, reused = self._sessions.checkout()
        try:
            try:
                self._transaction.send(session.connection, message, recipients)
            except StaleConnection as stale:
                if not reused:
                    close_quietly(session.connection)
                    raise stale.error from None
                log.info("SMTP connection to %s was closed by the server; reconnecting", self.config.address)
                self._sessions.open_again(session)
                try:
                    self._transaction.send(session.connection, message, recipients)
                except StaleConnection as again:
                    close_quietly(session.connection)
                    raise again.error from None
        finally:
            self._sessions.checkin(session)
        log.debug("mail to %s accepted by %s", email.to, self.config.address)

    def check(self) -> str:
        connection = self._open()
        try:
            code, reply = connection.noop()
            if code != 250:
                raise MailError(
                    f"the SMTP server {self.config.address} answered NOOP with "
                    f"{server_text(code, reply, self.config)}"
                )
        except (smtplib.SMTPException, OSError) as exc:
            raise translate(exc, self.config, "send") from None
        finally:
            _quit(connection)
        return f"smtp: {self.describe()}"

    def close(self) -> None:
        """Quit the connections not in use (one in use is closed when its message is done)."""
        self._sessions.close()

    # --- connections ----------------------------------------------------------------------

    def _open(self) -> smtplib.SMTP:
        """A connected, secured and logged-in session, or MailError saying what is wrong."""
        config = self.config
        phase: Phase = "connect"
        connection: smtplib.SMTP | None = None
        try:
            connection = self._connect(self._tls)
            connection.ehlo_or_helo_if_needed()
            if config.security is SmtpSecurity.STARTTLS:
                phase = "starttls"
                connection.starttls(context=self._tls)
                connection.ehlo()
            if config.user:
                phase = "login"
                if config.security is SmtpSecurity.PLAIN and not config.is_loopback:
                    raise MailError(
                        f"SMTP_URL has a password but the connection to {config.address} is not "
                        "encrypted: add ?starttls=true (usually port 587) or use smtps:// (usually 465)"
                    )
                connection.login(config.user, config.password or "")
        except (MailError, smtplib.SMTPException, OSError, UnicodeError) as exc:
            close_quietly(connection)
            if isinstance(exc, MailError):
                error = exc
            elif isinstance(exc, ssl.SSLCertVerificationError):
                error = certificate_problem(exc, config, self._names_on_certificate())
            else:
                error = translate(exc, config, phase)
            log.debug("SMTP session with %s failed (%s): %s", config.address, type(exc).__name__, error)
            raise error from None
        log.info("SMTP connection to %s opened (%s)", config.address, self.describe())
        return connection

    def _connect(self, tls: ssl.SSLContext | None) -> smtplib.SMTP:
        config = self.config
        name = _local_hostname()
        if config.security is SmtpSecurity.IMPLICIT_TLS:
            return smtplib.SMTP_SSL(
                config.host, config.port, local_hostname=name, timeout=config.timeout, context=tls
            )
        return smtplib.SMTP(config.host, config.port, local_hostname=name, timeout=config.timeout)

    def _tls_context(self, *, check_hostname: bool) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.config.cafile is not None:
            try:
                context.load_verify_locations(cafile=str(self.config.cafile))
            except (ssl.SSLError, OSError):
                raise ValueError(
                    f"SMTP_URL: cafile={self.config.cafile} is not a PEM file of CA certificates"
                ) from None
        context.check_hostname = check_hostname
        return context

    def _names_on_certificate(self) -> list[str]:
        """The names a trusted certificate carries, read over a second, diagnostic connection
        that checks the chain but not the host name; empty when that fails too."""
        connection: smtplib.SMTP | None = None
        try:
            context = self._tls_context(check_hostname=False)
            connection = self._connect(context)
            if self.config.security is SmtpSecurity.STARTTLS:
                connection.starttls(context=context)
            sock = connection.sock
            certificate = sock.getpeercert() if isinstance(sock, ssl.SSLSocket) else None
        except (smtplib.SMTPException, OSError, ValueError):
            return []
        finally:
            close_quietly(connection)
        return certificate_names(certificate or {})


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()
