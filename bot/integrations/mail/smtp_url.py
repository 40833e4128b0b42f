"""SMTP_URL: `smtp://[user:pass@]host[:port][?starttls=true]` or `smtps://…`, parsed and redacted."""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

SMTP_SCHEMES = ("smtp", "smtps")
QUERY_OPTIONS = ("starttls", "cafile", "timeout")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# Everything from the first ":" after the user name to the last "@": even a password with
# unencoded "/", "?" or "#" (which breaks parsing) stays hidden in the error about it.
_USERINFO_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/?#]*:)(.*)(@[^@]*)$", re.DOTALL)


class SmtpSecurity(StrEnum):
    PLAIN = "plain"  # smtp:// without STARTTLS
    STARTTLS = "starttls"  # smtp://…?starttls=true
    IMPLICIT_TLS = "smtps"  # smtps://

    @property
    def label(self) -> str:
        return {
            SmtpSecurity.PLAIN: "plain (no TLS)",
            SmtpSecurity.STARTTLS: "STARTTLS",
            SmtpSecurity.IMPLICIT_TLS: "SMTPS (implicit TLS)",
        }[self]


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: SmtpSecurity
    timeout: float
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    cafile: Path | None = None

    @property
    def address(self) -> str:
        """`host:port` as a helpdesk person would write it (IPv6 in brackets)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        if self.host.lower() == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def url_scheme(url: str) -> str | None:
    """The scheme of `scheme://…`, lower-cased; None for anything else (a folder path)."""
    match = _SCHEME.match(url.strip())
    return match.group(1).lower() if match else None


def redact_smtp_url(url: str) -> str:
    """The URL with its password replaced by `***`, safe for logs and `deskops doctor`."""
    return _USERINFO_PASSWORD.sub(r"\1***\3", url)


def _bool_option(name: str, value: str, shown: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"SMTP_URL {shown}: {name}={value!r} must be true or false")


def _query_options(query: str, shown: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name not in QUERY_OPTIONS:
            raise ValueError(
                f"SMTP_URL {shown}: unknown option {name!r}; known options are {', '.join(QUERY_OPTIONS)}"
            )
        options[name] = value
    return options


def _security(scheme: str, options: dict[str, str], shown: str) -> SmtpSecurity:
    starttls = _bool_option("starttls", options["starttls"], shown) if "starttls" in options else False
    if scheme == "smtps":
        if starttls:
            raise ValueError(
                f"SMTP_URL {shown}: smtps:// is already TLS; use smtp://…?starttls=true for STARTTLS"
            )
        return SmtpSecurity.IMPLICIT_TLS
    return SmtpSecurity.STARTTLS if starttls else SmtpSecurity.PLAIN


def _timeout(options: dict[str, str], default: float, shown: str) -> float:
    if "timeout" not in options:
        return default
    try:
        timeout = float(options["timeout"])
    except ValueError:
        timeout = -1.0
    if not math.isfinite(timeout) or timeout <= 0:
        raise ValueError(f"SMTP_URL {shown}: timeout={options['timeout']!r} must be a positive number")
    return timeout


def _cafile(options: dict[str, str], security: SmtpSecurity, shown: str) -> Path | None:
    if not options.get("cafile"):
        return None
    cafile = Path(options["cafile"])
    if security is SmtpSecurity.PLAIN:
        raise ValueError(f"SMTP_URL {shown}: cafile= needs TLS; add starttls=true or use smtps://")
    if not cafile.is_file():
        raise ValueError(f"SMTP_URL {shown}: cafile={cafile} is not a readable file")
    return cafile


def relay_name(config: SmtpConfig) -> str:
    """Whose limits apply: relays limit per login (a mailbox), else per server."""
    return f"{config.user}@{config.address}" if config.user else config.address


def parse_smtp_url(url: str, *, default_timeout: float) -> SmtpConfig:
    """Parse an smtp:// or smtps:// URL; raise ValueError with one line saying what to fix."""
    shown = redact_smtp_url(url)
    scheme = url_scheme(url)
    if scheme not in SMTP_SCHEMES:
        raise ValueError(
            f"SMTP_URL {shown}: unknown scheme {scheme or '(none)'!r}; use smtp://host:port, "
            "smtps://host:port or a folder for .eml files"
        )
    parts = urlsplit(url.strip())
    before_query = re.split(r"[?#]", url.strip().split("://", 1)[1])[0]
    if "@" in before_query and "@" not in parts.netloc:
        raise ValueError(
            f"SMTP_URL {shown}: the user name or password contains '/', '?' or '#'; "
            "percent-encode them as %2F, %3F and %23"
        )
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"SMTP_URL {shown}: the port must be a number between 1 and 65535") from None
    host = parts.hostname
    if not host:
        raise ValueError(f"SMTP_URL {shown}: the host is missing; use e.g. smtp://mail.example.com:587")
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError(f"SMTP_URL {shown}: unexpected path after the port; use smtp://host:port?options")

    options = _query_options(parts.query, shown)
    security = _security(scheme, options, shown)
    if port is None:
        port = {SmtpSecurity.PLAIN: 25, SmtpSecurity.STARTTLS: 587, SmtpSecurity.IMPLICIT_TLS: 465}[security]
    if port == 0:
        raise ValueError(f"SMTP_URL {shown}: the port must be a number between 1 and 65535")
    timeout = _timeout(options, default_timeout, shown)
    cafile = _cafile(options, security, shown)

    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and not user:
        raise ValueError(f"SMTP_URL {shown}: a password needs a user name (smtp://user:password@host)")
    config = SmtpConfig(
        host=host,
        port=port,
        security=security,
        timeout=timeout,
        user=user,
        password=password,
        cafile=cafile,
    )
    if password is not None and security is SmtpSecurity.PLAIN and not config.is_loopback:
        # There is deliberately no switch for sending a password in the clear.
        raise ValueError(
            f"SMTP_URL {shown}: a password must not travel unencrypted; add ?starttls=true "
            "(usually port 587) or use smtps:// (usually port 465)"
        )
    return config
