"""What to tell a helpdesk person when the LDAP server cannot be used: one sentence naming the
setting to check. Never a stack trace, never the bind password (it is never passed in here)."""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from typing import Any

from ldap3.core.exceptions import (
    LDAPResponseTimeoutError,
    LDAPSessionTerminatedByServerError,
    LDAPSocketOpenError,
    LDAPSocketReceiveError,
    LDAPStartTLSError,
)

from bot.integrations.directory.port import DirectoryError

_SSL_REASON = re.compile(r"\[SSL: \w+\] ([^(]+)")
NO_SUCH_OBJECT, INVALID_DN_SYNTAX, SIZE_LIMIT_EXCEEDED = 32, 34, 4
# AD puts the reason for a refused bind in the diagnostic message ("... data 775, ...").
_AD_BIND_REASONS = {
    "525": "the account does not exist",
    "52e": "wrong password",
    "530": "logon not permitted at this time",
    "532": "the password has expired",
    "533": "the account is disabled",
    "701": "the account has expired",
    "773": "the password must be changed first",
    "775": "the account is locked out",
}


@dataclass(frozen=True)
class ErrorWording:
    host: str
    port: int
    url: str  # ldap://host:port, no base
    base_dn: str
    bind_dn: str | None
    timeout: float

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def tls_failed(self, detail: str) -> DirectoryError:
        if "doesn't match any name" in detail:
            return DirectoryError(
                f"the certificate of the directory at {self.where} is not issued for {self.host}: use in "
                "DIRECTORY_URL the host name the certificate names"
            )
        # ldap3 nests the ssl error in tuples and quotes; keep its reason ("certificate verify failed: ...").
        reason = _SSL_REASON.search(detail)
        detail = reason.group(1).strip() if reason else detail.strip(" ()'\",")
        return DirectoryError(
            f"the TLS handshake with the directory at {self.where} failed ({detail[:160]}): "
            f"check that its certificate is valid for {self.host} and signed by a CA this machine trusts"
        )

    def from_exception(self, exc: BaseException) -> DirectoryError:
        full = " ".join(str(exc).split()) or type(exc).__name__
        detail = full[:200]
        lowered = detail.lower()
        if isinstance(exc, LDAPSocketOpenError) and "while opening" in lowered and "timed out" in lowered:
            return DirectoryError(
                f"the directory at {self.where} did not accept a connection within {self.timeout:g} s: "
                "check the host and port in DIRECTORY_URL and any firewall in between"
            )
        if (
            isinstance(exc, LDAPSocketReceiveError | LDAPResponseTimeoutError | TimeoutError)
            or "timed out" in lowered
        ):
            return DirectoryError(
                f"the directory at {self.where} did not answer within {self.timeout:g} s: check that "
                f"DIRECTORY_URL points at an LDAP server ({self.url}) and that it is not overloaded"
            )
        if isinstance(exc, LDAPStartTLSError | ssl.SSLError) or any(
            word in lowered for word in ("ssl", "certificate", "tls", "handshake")
        ):
            return self.tls_failed(full)
        if isinstance(exc, LDAPSocketOpenError):
            if "refused" in lowered:
                return DirectoryError(
                    f"nothing accepts connections at {self.where} (connection refused): check the host and "
                    "port in DIRECTORY_URL and that the directory server is running"
                )
            return DirectoryError(
                f"cannot connect to the directory at {self.where} ({detail}): check the host in DIRECTORY_URL"
            )
        if isinstance(exc, LDAPSessionTerminatedByServerError):
            return DirectoryError(
                f"the directory at {self.where} closed the connection: "
                "check ldap:// versus ldaps:// in DIRECTORY_URL"
            )
        return DirectoryError(f"the directory at {self.where} failed: {detail}")

    def bind_refused(self, result: dict[str, Any]) -> DirectoryError:
        code, message = result.get("result"), str(result.get("message") or "")
        who = self.bind_dn or "an anonymous bind"
        if code == 49:  # invalidCredentials
            reason = next((text for key, text in _AD_BIND_REASONS.items() if f"data {key}" in message), None)
            because = f" ({reason})" if reason else ""
            return DirectoryError(
                f"the directory at {self.where} refused the bind for {who}{because}: "
                "check DIRECTORY_BIND_DN and DIRECTORY_BIND_PASSWORD"
            )
        if code in (8, 13):  # strongerAuthRequired, confidentialityRequired
            return DirectoryError(
                f"the directory at {self.where} only accepts a bind over an encrypted connection: use "
                "ldaps:// in DIRECTORY_URL or set DIRECTORY_STARTTLS=true"
            )
        detail = f"{result.get('description')} {message}".strip()
        return DirectoryError(f"the directory at {self.where} refused the bind for {who}: {detail}")

    def operation_failed(self, result: dict[str, Any]) -> DirectoryError:
        code, message = result.get("result"), str(result.get("message") or "").strip()
        if code == NO_SUCH_OBJECT:
            text = (
                f"the base DN {self.base_dn} does not exist on the directory at {self.where}: check the path "
                "of DIRECTORY_URL (ldap://host:port/<base DN>)"
            )
        elif code == 50:  # insufficientAccessRights
            who = self.bind_dn or "anonymous"
            text = f"the directory at {self.where} does not let {who} read {self.base_dn}: check its ACLs"
        elif code == 1 and "bind" in message.lower():  # AD: "a successful bind must be completed"
            text = (
                f"the directory at {self.where} does not answer anonymous searches: set DIRECTORY_BIND_DN "
                "and DIRECTORY_BIND_PASSWORD"
            )
        elif code == 3:  # timeLimitExceeded
            text = f"the directory at {self.where} gave up at its time limit: search for a longer text"
        elif code == SIZE_LIMIT_EXCEEDED:
            text = (
                f"the directory at {self.where} cut a paged search short at its size limit for this account"
            )
        else:
            text = f"the directory at {self.where} answered {result.get('description')} ({code}) {message}"
        return DirectoryError(text.strip())
