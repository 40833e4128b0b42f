"""Reads on a bound ldap3 connection: one entry by its DN, and paged searches streamed page by
page. A result the caller cannot use raises the DirectoryError its wording names; a size limit
the account cannot page past raises SizeLimitedError, which callers may work around."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from contextlib import suppress
from typing import Any

from ldap3 import BASE, SUBTREE, Connection
from ldap3.core.exceptions import LDAPException

from bot.integrations.directory.ldap_errors import (
    INVALID_DN_SYNTAX,
    NO_SUCH_OBJECT,
    SIZE_LIMIT_EXCEEDED,
    ErrorWording,
)
from bot.integrations.directory.ldap_values import Entry

PAGED_RESULTS_OID = "1.2.840.113556.1.4.319"


def entry_of(item: dict[str, Any]) -> dict[str, list[str]]:
    """ldap3's attributes with lower-cased names and text values."""
    entry: dict[str, list[str]] = {}
    for name, values in item.get("attributes", {}).items():
        listed = values if isinstance(values, list) else [values]
        text = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in listed]
        entry[name.lower()] = text
    return entry


class SizeLimitedError(Exception):
    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(result.get("description"))
        self.result = result


def entries(conn: Connection) -> list[tuple[str, Entry]]:
    """The entries of the last search (references and other responses left out)."""
    return [
        (str(item["dn"]), entry_of(item))
        for item in conn.response or []
        if item.get("type") == "searchResEntry"
    ]


class LdapReader:
    """Searches under the directory's base DN, `page_size` entries a page."""

    def __init__(self, base: str, page_size: int, words: ErrorWording) -> None:
        self.base, self.page_size, self.words = base, page_size, words

    def paged(
        self,
        conn: Connection,
        search_filter: str,
        attributes: Sequence[str],
        *,
        base: str | None = None,
        scope: str = SUBTREE,
    ) -> Generator[tuple[str, Entry], None, None]:
        """A paged search, streamed page by page. Closed before its last page, it tells the server
        to drop the rest (RFC 2696: size 0 with the cookie)."""
        cookie: bytes | None = None
        try:
            while True:
                conn.search(
                    base or self.base,
                    search_filter,
                    scope,
                    attributes=list(attributes),
                    paged_size=self.page_size,
                    paged_cookie=cookie,
                )
                code = conn.result.get("result")
                if code == SIZE_LIMIT_EXCEEDED:
                    raise SizeLimitedError(conn.result)
                if code != 0:
                    raise self.words.operation_failed(conn.result)
                yield from entries(conn)
                controls = conn.result.get("controls", {})
                cookie = controls.get(PAGED_RESULTS_OID, {}).get("value", {}).get("cookie")
                if not cookie:
                    return
        except GeneratorExit:
            if cookie:
                with suppress(LDAPException, OSError):
                    conn.search(
                        base or self.base,
                        search_filter,
                        scope,
                        attributes=["1.1"],
                        paged_size=0,
                        paged_cookie=cookie,
                    )
            raise

    def read(self, conn: Connection, dn: str, search_filter: str, attributes: Sequence[str]) -> Entry | None:
        """One entry by DN (base scope), or None when it does not exist or does not match."""
        conn.search(dn, search_filter, BASE, attributes=list(attributes))
        code = conn.result.get("result")
        if code in (NO_SUCH_OBJECT, INVALID_DN_SYNTAX):
            return None
        if code != 0:
            raise self.words.operation_failed(conn.result)
        found = entries(conn)
        return found[0][1] if found else None
