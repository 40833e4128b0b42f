"""One message on an open SMTP session: MAIL, RCPT, DATA, and each refusal turned into the
sentence the helpdesk reads (or MailDeferred when the relay asks us to slow down)."""

from __future__ import annotations

import contextlib
import re
import smtplib

from bot.integrations.mail.message import MimeMessage, needs_smtputf8, to_bytes
from bot.integrations.mail.port import MailDeferred, MailError
from bot.integrations.mail.smtp_errors import server_text, throttle_problem, translate
from bot.integrations.mail.smtp_replies import closed_when_idle
from bot.integrations.mail.smtp_url import SmtpConfig

# local@domain with nothing to quote: written as <local@domain> without parsing it again.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


class StaleConnection(Exception):
    """The connection was gone before the message was handed over: safe to retry on a new one."""

    def __init__(self, error: MailError) -> None:
        super().__init__(str(error))
        self.error = error


def envelope_address(address: str) -> str:
    """`<address>` as smtplib's quoteaddr() writes it; a plain address is not parsed again (for
    every message that parse costs more than the rest of MAIL and RCPT together)."""
    return f"<{address}>" if _PLAIN_ADDRESS.fullmatch(address) else smtplib.quoteaddr(address)


def send_data(connection: smtplib.SMTP, data: bytes) -> tuple[int, bytes]:
    """DATA and the message, as smtplib's data() sends them, and the server's last reply (its
    refusal of DATA itself, if it refused it). Lines that begin with a dot get a second one (RFC
    5321 4.5.2), by a replace rather than smtplib's regular expression over the whole message."""
    connection.putcmd("data")
    code, reply = connection.getreply()
    if code != 354:
        return code, reply
    stuffed = data.replace(b"\n.", b"\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    connection.send(stuffed + b".\r\n")
    return connection.getreply()


def close_quietly(connection: smtplib.SMTP | None) -> None:
    if connection is not None:
        with contextlib.suppress(OSError):
            connection.close()


class SmtpTransaction:
    """Sends one message on a session; raises MailError (MailDeferred for a relay's "slow
    down"), or StaleConnection when the session turned out closed before anything was sent."""

    def __init__(self, config: SmtpConfig, mail_from: str) -> None:
        self.config = config
        self.mail_from = mail_from
        self._sender = envelope_address(mail_from)

    def send(self, connection: smtplib.SMTP, message: MimeMessage, recipients: list[str]) -> None:
        data = to_bytes(message)
        options = self._mail_options(connection, message, data)
        to = ", ".join(recipients)
        reply: bytes | str
        try:
            code, reply = self._mail(connection, options)
        except (smtplib.SMTPException, OSError) as exc:
            raise StaleConnection(translate(exc, self.config, "send")) from None
        if code == 421:
            close_quietly(connection)
            problem = self._sender_problem(code, reply, to, len(data))
            text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
            if closed_when_idle(code, text):  # a new session may go on at once
                raise StaleConnection(problem)
            raise problem
        try:
            if code != 250:
                raise self._sender_problem(code, reply, to, len(data))
            for recipient in recipients:
                connection.putcmd("rcpt", f"to:{envelope_address(recipient)}")
                code, reply = connection.getreply()
                if code not in (250, 251):
                    raise self._recipient_problem(code, reply, recipient)
            code, reply = send_data(connection, data)
            if code != 250:
                raise self._content_problem(code, reply, to, len(data))
        except MailDeferred:
            close_quietly(connection)  # the server may count it against a limit: not kept
            raise
        except MailError:
            _reset_quietly(connection)
            raise
        except (smtplib.SMTPException, OSError) as exc:
            close_quietly(connection)
            raise translate(exc, self.config, "send") from None

    def _mail(self, connection: smtplib.SMTP, options: list[str]) -> tuple[int, bytes]:
        if "SMTPUTF8" in options:
            return connection.mail(self.mail_from, options)  # switches the session to UTF-8
        connection.putcmd("mail", f"from:{self._sender}{''.join(' ' + option for option in options)}")
        return connection.getreply()

    def _mail_options(self, connection: smtplib.SMTP, message: MimeMessage, data: bytes) -> list[str]:
        options: list[str] = []
        if connection.has_extn("size"):
            options.append(f"SIZE={len(data)}")
        if needs_smtputf8(message):
            if not connection.has_extn("smtputf8"):
                raise MailError(
                    f"the address {message.to} or MAIL_FROM has non-ASCII characters and the SMTP "
                    f"server {self.config.address} does not support them (SMTPUTF8)",
                    permanent=True,
                )
            options.append("SMTPUTF8")
        if not data.isascii() and connection.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        return options

    def _sender_problem(self, code: int, reply: bytes | str, to: str, size: int) -> MailError:
        said = server_text(code, reply, self.config)
        where = self.config.address
        throttled = throttle_problem(code, reply, self.config)
        if throttled is not None:
            return throttled
        if code == 530:
            return MailError(
                f"the SMTP server {where} requires a login before sending: add user:password to SMTP_URL "
                f"(server said: {said})"
            )
        if code == 552:
            return self._too_large(to, size, said)
        login = f" (check that {self.config.user} may send as this address)" if self.config.user else ""
        return MailError(
            f"the SMTP server {where} refused the sender {self.mail_from}: {said}: check MAIL_FROM{login}"
        )

    def _recipient_problem(self, code: int, reply: bytes | str, recipient: str) -> MailError:
        said = server_text(code, reply, self.config)
        throttled = throttle_problem(code, reply, self.config)
        if throttled is not None:
            return throttled
        if code == 530:
            return MailError(
                f"the SMTP server {self.config.address} requires a login before sending: add "
                f"user:password to SMTP_URL (server said: {said})"
            )
        if "relay" in said.lower():
            return MailError(
                f"the SMTP server {self.config.address} does not relay mail to {recipient} for deskops: "
                f"log in (user:password in SMTP_URL) or allow this host on the server (server said: {said})"
            )
        return MailError(f"the SMTP server refused the recipient {recipient}: {said}", permanent=code >= 500)

    def _content_problem(self, code: int, reply: bytes | str, to: str, size: int) -> MailError:
        said = server_text(code, reply, self.config)
        throttled = throttle_problem(code, reply, self.config)
        if throttled is not None:
            return throttled
        if code == 552:
            return self._too_large(to, size, said)
        where = self.config.address
        permanent = code >= 500
        return MailError(f"the SMTP server {where} rejected the e-mail to {to}: {said}", permanent=permanent)

    def _too_large(self, to: str, size: int, said: str) -> MailError:
        return MailError(
            f"the e-mail to {to} ({size // 1024 + 1} KB) is larger than the SMTP server "
            f"{self.config.address} accepts: {said}",
            permanent=True,
        )


def _reset_quietly(connection: smtplib.SMTP) -> None:
    try:
        connection.rset()
    except (smtplib.SMTPException, OSError):
        connection.close()
