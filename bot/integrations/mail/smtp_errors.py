"""Turning smtplib, ssl and socket failures into sentences a helpdesk person can act on.

Every sentence names the server as host:port and never contains the password: server text
that is quoted is scrubbed of it, in case a server echoes what it was sent.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from typing import Literal

from bot.integrations.mail.port import DeferReason, MailDeferred, MailError
from bot.integrations.mail.smtp_replies import Throttle, classify
from bot.integrations.mail.smtp_url import SmtpConfig, SmtpSecurity

Phase = Literal["connect", "starttls", "login", "send"]

# OpenSSL X509_V_ERR_* codes (ssl.SSLCertVerificationError.verify_code).
_HOSTNAME_MISMATCH = frozenset({62, 64})  # host name / IP address mismatch
_UNTRUSTED = frozenset({2, 18, 19, 20, 21, 27})  # self-signed, unknown issuer, untrusted
_EXPIRED = 10
_NOT_YET_VALID = 9


def scrub(text: str, config: SmtpConfig) -> str:
    if config.password:
        text = text.replace(config.password, "***")
    return text


def server_text(code: int, reply: bytes | str, config: SmtpConfig) -> str:
    """`550 5.1.1 no such user`: the server's reply on one line, without the password."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return scrub(f"{code} {' '.join(text.split())}".strip(), config)


_DEFER_REASONS = {
    Throttle.SLOW_DOWN: DeferReason.SLOW_DOWN,
    Throttle.DAILY_QUOTA: DeferReason.DAILY_QUOTA,
    Throttle.CONNECTIONS: DeferReason.CONNECTIONS,
}


def throttle_problem(code: int, reply: bytes | str, config: SmtpConfig) -> MailDeferred | None:
    """MailDeferred when the reply is the relay asking us to slow down, or saying its daily quota
    is used up (see smtp_replies); None for any other reply."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    throttle = classify(code, text)
    if throttle is None:
        return None
    said = server_text(code, reply, config)
    if throttle.kind is Throttle.DAILY_QUOTA:
        sentence = f"the SMTP server {config.address} says today's sending quota is used up ({said})"
    elif throttle.kind is Throttle.CONNECTIONS:
        sentence = f"the SMTP server {config.address} refused another connection at once ({said})"
    else:
        sentence = f"the SMTP server {config.address} asked us to slow down ({said})"
    return MailDeferred(sentence, reason=_DEFER_REASONS[throttle.kind], retry_after=throttle.retry_after)


def certificate_problem(
    exc: ssl.SSLCertVerificationError, config: SmtpConfig, names_on_certificate: Sequence[str]
) -> MailError:
    detail = scrub(str(exc.verify_message or exc.reason or exc), config)
    if exc.verify_code in _HOSTNAME_MISMATCH:
        sentence = (
            f"the SMTP server's TLS certificate does not match the host name {config.host}: "
            "use the name on the certificate"
        )
        if names_on_certificate:
            sentence += f" ({', '.join(names_on_certificate)})"
        return MailError(f"{sentence} as the host in SMTP_URL (server {config.address})")
    if exc.verify_code in _UNTRUSTED:
        return MailError(
            f"the TLS certificate of the SMTP server {config.address} is not signed by a trusted "
            f"authority ({detail}): add its CA with ?cafile=/path/to/ca.pem in SMTP_URL"
        )
    if exc.verify_code == _EXPIRED:
        return MailError(
            f"the TLS certificate of the SMTP server {config.address} has expired: "
            "the mail server's administrator must renew it"
        )
    if exc.verify_code == _NOT_YET_VALID:
        return MailError(
            f"the TLS certificate of the SMTP server {config.address} is not valid yet: "
            "check this machine's clock"
        )
    return MailError(
        f"the TLS certificate of the SMTP server {config.address} cannot be verified ({detail}): "
        "check the host in SMTP_URL, or add the server's CA with ?cafile=/path/to/ca.pem"
    )


def translate(exc: BaseException, config: SmtpConfig, phase: Phase) -> MailError:
    """The MailError for a failure while connecting, securing, logging in or sending.

    Certificate verification failures are handled by `certificate_problem` (it needs the
    names on the certificate, which takes a second connection).
    """
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(exc.__context__, TimeoutError):
        # smtplib reports a read that timed out as "Connection unexpectedly closed: timed out".
        return translate(exc.__context__, config, phase)
    if isinstance(exc, smtplib.SMTPException):
        problem = _smtp_problem(exc, config, phase)
        if problem is not None:
            return problem
    return _connection_problem(exc, config, phase)


def _smtp_problem(exc: smtplib.SMTPException, config: SmtpConfig, phase: Phase) -> MailError | None:
    """What the server answered or how smtplib gave up on the session; None for an error that
    says no more than any other OSError."""
    where = config.address
    if isinstance(exc, smtplib.SMTPResponseException):
        throttled = throttle_problem(exc.smtp_code, exc.smtp_error, config)
        if throttled is not None:
            return throttled
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailError(
            f"the SMTP server {where} refused the login for {config.user}: check the user name and "
            f"password in SMTP_URL (server said: {server_text(exc.smtp_code, exc.smtp_error, config)})"
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError) and phase == "starttls":
        return MailError(
            f"the SMTP server {where} does not offer STARTTLS although SMTP_URL asks for starttls=true: "
            "use the server's submission port (usually 587), or smtps:// if it offers implicit TLS "
            "(usually port 465)"
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError) and phase == "login":
        hint = (
            "it may allow login only over TLS: add ?starttls=true (or use smtps://)"
            if config.security is SmtpSecurity.PLAIN
            else "remove user:password from SMTP_URL if it relays mail without login"
        )
        return MailError(f"the SMTP server {where} does not offer login (AUTH) on this connection: {hint}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return MailError(
            f"the SMTP server {where} closed the connection unexpectedly (while {_doing(phase)}): "
            "try again later; if it keeps happening check the port and TLS settings in SMTP_URL"
            + _tls_mismatch_hint(config)
        )
    if isinstance(exc, smtplib.SMTPConnectError):
        return MailError(
            f"the SMTP server {where} refused the session "
            f"({server_text(exc.smtp_code, exc.smtp_error, config)}): try again later "
            "or ask its administrator"
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return MailError(
            f"the SMTP server {where} answered {server_text(exc.smtp_code, exc.smtp_error, config)} "
            f"while {_doing(phase)}"
        )
    if phase == "login":
        # smtplib: "No suitable authentication method found."
        return MailError(
            f"the SMTP server {where} offers no login method deskops can use (PLAIN, LOGIN or "
            "CRAM-MD5): ask its administrator to enable one"
        )
    return None


def _connection_problem(exc: BaseException, config: SmtpConfig, phase: Phase) -> MailError:
    """Failures of the connection itself: TLS, name look-up, refusal, time-outs."""
    where = config.address
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or exc.__class__.__name__
        if config.security is SmtpSecurity.IMPLICIT_TLS and reason == "WRONG_VERSION_NUMBER":
            return MailError(
                f"the SMTP server {where} does not speak TLS right away, as smtps:// expects: use "
                "smtp://host:port?starttls=true (usually port 587) instead"
            )
        return MailError(
            f"the TLS handshake with the SMTP server {where} failed ({scrub(str(reason), config)}): "
            "check the port and whether SMTP_URL should use smtps:// (implicit TLS, usually port 465) "
            "or smtp://…?starttls=true (usually port 587)"
        )
    if isinstance(exc, ConnectionRefusedError):
        return MailError(
            f"the SMTP server {where} refused the connection: check the host and port in SMTP_URL"
        )
    if isinstance(exc, socket.gaierror | UnicodeError):
        return MailError(
            f"the SMTP server's host name {config.host} cannot be found: check the host in SMTP_URL"
        )
    if isinstance(exc, TimeoutError):
        return MailError(
            f"the SMTP server {where} did not answer within {config.timeout:g} seconds (while "
            f"{_doing(phase)}): check the host and port in SMTP_URL and any firewall in between"
            + _tls_mismatch_hint(config)
        )
    if isinstance(exc, ConnectionError):
        return MailError(
            f"the SMTP server {where} closed the connection unexpectedly (while {_doing(phase)}): "
            "try again later; if it keeps happening check the port and TLS settings in SMTP_URL"
        )
    if isinstance(exc, OSError):
        reason = exc.strerror or exc.__class__.__name__
        return MailError(
            f"cannot reach the SMTP server {where} ({reason}): check the host and port in SMTP_URL"
        )
    return MailError(
        f"sending through the SMTP server {where} failed unexpectedly ({exc.__class__.__name__})"
    )


def _doing(phase: Phase) -> str:
    return {
        "connect": "connecting",
        "starttls": "starting TLS",
        "login": "logging in",
        "send": "sending",
    }[phase]


def _tls_mismatch_hint(config: SmtpConfig) -> str:
    if config.security is not SmtpSecurity.IMPLICIT_TLS and config.port == 465:
        return "; port 465 usually expects implicit TLS: use smtps://"
    return ""


def certificate_names(certificate: Mapping[str, object]) -> list[str]:
    """subjectAltName values (DNS names, IP addresses), else the subject's commonName."""
    names = [str(pair[1]) for pair in _pairs(certificate.get("subjectAltName"))]
    if not names:
        subject = certificate.get("subject")
        for rdn in subject if isinstance(subject, tuple) else ():
            names += [str(value) for key, value in _pairs(rdn) if key == "commonName"]
    return names


def _pairs(value: object) -> list[tuple[object, object]]:
    if not isinstance(value, tuple):
        return []
    return [(item[0], item[1]) for item in value if isinstance(item, tuple) and len(item) == 2]
