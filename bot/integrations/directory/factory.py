"""Which directory DIRECTORY_URL names: the bundled sample, a YAML/LDIF file, or an LDAP server."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

from bot.integrations.directory.file import FileDirectory
from bot.integrations.directory.ldap import LdapDirectory
from bot.integrations.directory.ldap_values import split_dn
from bot.integrations.directory.port import Directory
from bot.integrations.directory.profiles import profile_named

_EXAMPLE = "e.g. ldap://dc1.example.com/dc=example,dc=com"


def build_directory(
    url: str | None,
    *,
    bind_dn: str | None = None,
    bind_password: str | None = None,
    profile: str = "ad",
    starttls: bool = False,
    timeout: float = 10.0,
    ca_certs_file: str | None = None,
) -> Directory:
    """None -> the bundled sample; `ldap://host[:389]/<base DN>` or `ldaps://host[:636]/<base DN>`
    (RFC 4516: the base DN is the URL path, percent-encoded where needed) -> LdapDirectory; any
    other text -> a path to a .yaml/.yml/.ldif file (`file://` URLs too). Bad values raise
    ValueError with one line naming the setting. Nothing is contacted here.

    TLS (ldaps://, StartTLS) verifies the server certificate and host name against the system's
    CAs (OpenSSL honours SSL_CERT_FILE), or only against `ca_certs_file` when it is given."""
    if url is None or not url.strip():
        return FileDirectory.sample()
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"ldap", "ldaps"}:
        return _ldap_directory(
            parts,
            bind_dn=bind_dn,
            bind_password=bind_password,
            profile=profile,
            starttls=starttls,
            timeout=timeout,
            ca_certs_file=ca_certs_file,
        )
    if scheme == "file":
        return FileDirectory.load(Path(unquote(parts.path)))
    if "://" in url:
        raise ValueError(
            f"DIRECTORY_URL: '{scheme}://' is not supported: use ldap://, ldaps:// or the path of a "
            ".yaml, .yml or .ldif file"
        )
    path = Path(url).expanduser()
    if not path.is_file():
        raise ValueError(f"DIRECTORY_URL: no directory file at {path} (nor an ldap:// or ldaps:// URL)")
    return FileDirectory.load(path)


def _ldap_directory(
    parts: SplitResult,
    *,
    bind_dn: str | None,
    bind_password: str | None,
    profile: str,
    starttls: bool,
    timeout: float,
    ca_certs_file: str | None,
) -> LdapDirectory:
    if "@" in parts.netloc:
        raise ValueError(
            "DIRECTORY_URL: credentials do not belong in the URL: "
            "set DIRECTORY_BIND_DN and DIRECTORY_BIND_PASSWORD"
        )
    if not parts.hostname:
        raise ValueError(f"DIRECTORY_URL: no host in {parts.geturl()}, {_EXAMPLE}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(
            f"DIRECTORY_URL: the port in {parts.geturl()} is not a number from 1 to 65535"
        ) from None
    if parts.query or parts.fragment:
        raise ValueError(
            "DIRECTORY_URL: attributes, scope and filter come from DIRECTORY_PROFILE: remove the "
            f"'?...' part, {_EXAMPLE}"
        )
    base_dn = unquote(parts.path.lstrip("/")).strip()
    if not base_dn:
        raise ValueError(f"DIRECTORY_URL: the base DN is missing from the URL path, {_EXAMPLE}")
    if split_dn(base_dn) is None:
        raise ValueError(f"DIRECTORY_URL: the URL path '{base_dn}' is not a DN, {_EXAMPLE}")
    if bind_dn and not bind_password:
        raise ValueError("DIRECTORY_BIND_PASSWORD: required when DIRECTORY_BIND_DN is set")
    if bind_dn and split_dn(bind_dn) is None and "@" not in bind_dn and "\\" not in bind_dn:
        raise ValueError(
            f"DIRECTORY_BIND_DN: '{bind_dn}' is neither a DN nor an AD user@domain or DOMAIN\\user name"
        )
    if timeout <= 0:
        raise ValueError("DIRECTORY_TIMEOUT_SECONDS: must be more than 0")
    use_ssl = parts.scheme.lower() == "ldaps"
    return LdapDirectory(
        host=parts.hostname,
        port=port or (636 if use_ssl else 389),
        base_dn=base_dn,
        profile=profile_named(profile),
        use_ssl=use_ssl,
        starttls=starttls,
        bind_dn=bind_dn or None,
        bind_password=bind_password,
        timeout=timeout,
        ca_certs_file=ca_certs_file,
    )
