"""The real directory: Active Directory or OpenLDAP through ldap3.

Each operation opens its own connection (connect, StartTLS when asked, bind) and closes it at the
end, except searches: a person waits for those, so their users and groups are asked for at once
on two connections, each kept for the next search (ldap_pool: reused within a minute, never by two
threads at once, dropped once the server has ended it).

Group expansion streams. Member DNs come from the group's `member`/`uniqueMember` attribute,
read with AD range retrieval (`member;range=1500-*`, ...) where the server splits it. They are
resolved `chunk_size` (200) at a time with ONE paged subtree search per chunk on each DN's first
RDN, `(&(|<user filter><group filter>)(|(uid=a)(cn=B C)...))` - an attribute every entry holds
and servers index - keeping only entries whose DN is one of the chunk's (RDN values can repeat
in other OUs). That is 50 searches for 10,000 members instead of 10,000 base reads, and works
on both servers: neither filters portably on a DN, OpenLDAP has memberOf only with an overlay,
and AD's in-chain `memberOf:1.2.840.113556.1.4.1941:=` is AD-only and slow on big forests.
A chunk never asks for more than 200 entries, below common size limits (AD 1000, OpenLDAP 500);
a server whose limit is lower still gets the chunk again in halves. Nested groups are queued and
expanded once each (cycle-safe); only the set of DNs already yielded is kept, never the users.

Big groups (`scan_min_members`, 1,000, or more direct members) are resolved faster: their member
DNs are collected (DNs only, never entries), and a container holding at least that many of them
(`ou=people`, AD's `CN=Users`) is read with ONE paged one-level search, keeping the members. 200-term
filters cost ldap3 more to build and encode than the entries they find cost to decode. The scan
gives up once it has read more entries that are not members than there are members in it (a big
container holding few of them) or at a size limit the account cannot page past; what it did not
find goes through the filtered searches above.
"""

from __future__ import annotations

import ssl
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from itertools import chain, islice
from typing import Any, TypeVar

from ldap3 import BASE, LEVEL, SUBTREE, Connection, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from bot.integrations.directory.ldap_errors import (
    INVALID_DN_SYNTAX,
    NO_SUCH_OBJECT,
    SIZE_LIMIT_EXCEEDED,
    ErrorWording,
)
from bot.integrations.directory.ldap_pool import ConnectionPool, discard, new_connection
from bot.integrations.directory.ldap_values import (
    Entry,
    first_rdn,
    is_under,
    iter_ranged_values,
    normalize_dn,
    parent_dn,
    split_dn,
    strip_optional_uid,
)
from bot.integrations.directory.port import DirectoryError, DirectoryUser, MatchMode, SearchResult
from bot.integrations.directory.profiles import EntryKind, LdapProfile

PAGED_RESULTS_OID = "1.2.840.113556.1.4.319"
_COUNT_CAP = 1000  # check() counts users up to this many (or the server's size limit)
# (DN, normalized DN, kind, attributes) of a member that is a user or a group
Resolved = tuple[str, str, EntryKind, Entry]
T = TypeVar("T")


def _batched(values: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _entry(item: dict[str, Any]) -> dict[str, list[str]]:
    """ldap3's attributes with lower-cased names and text values."""
    entry: dict[str, list[str]] = {}
    for name, values in item.get("attributes", {}).items():
        listed = values if isinstance(values, list) else [values]
        text = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in listed]
        entry[name.lower()] = text
    return entry


class _SizeLimitedError(Exception):
    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(result.get("description"))
        self.result = result


def _entries(conn: Connection) -> list[tuple[str, Entry]]:
    """The entries of the last search (references and other responses left out)."""
    return [
        (str(item["dn"]), _entry(item))
        for item in conn.response or []
        if item.get("type") == "searchResEntry"
    ]


class LdapDirectory:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        base_dn: str,
        profile: LdapProfile,
        use_ssl: bool = False,
        starttls: bool = False,
        bind_dn: str | None = None,
        bind_password: str | None = None,
        timeout: float = 10.0,
        ca_certs_file: str | None = None,
        page_size: int = 500,
        chunk_size: int = 200,
        scan_min_members: int = 1000,
    ) -> None:
        self._host, self._port, self._base = host, port, base_dn
        self._base_key = normalize_dn(base_dn)
        self._profile = profile
        self._starttls = starttls and not use_ssl
        self._bind_dn, self._bind_password = bind_dn or None, bind_password
        self._timeout = timeout
        self._page_size, self._chunk_size = page_size, chunk_size
        self._scan_min = scan_min_members
        self._member_attributes = list(dict.fromkeys([*profile.user_attributes, *profile.group_attributes]))
        self._where = f"{host}:{port}"
        self.url = f"{'ldaps' if use_ssl else 'ldap'}://{host}:{port}"
        self._words = ErrorWording(host, port, self.url, base_dn, self._bind_dn, timeout)
        self._use_ssl = use_ssl
        self._pool, self._helpers = ConnectionPool(), ThreadPoolExecutor(2, thread_name_prefix="ldap")
        self._tls = (
            Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=ca_certs_file) if use_ssl or starttls else None
        )

    @property
    def base_dn(self) -> str:
        return self._base

    # -- connections and errors ---------------------------------------------------------------

    @contextmanager
    def _session(self, *, reuse: bool = False) -> Iterator[Connection]:
        """A bound connection; with `reuse`, one kept from an earlier search when there is one,
        kept again afterwards unless the operation failed."""
        kept = self._pool.take() if reuse else None
        connection = kept or new_connection(
            self._host,
            self._port,
            self._use_ssl,
            self._tls,
            self._timeout,
            self._bind_dn,
            self._bind_password,
        )
        failed = True
        try:
            if kept is None:
                connection.open()
                if self._starttls and not connection.start_tls():
                    raise self._words.tls_failed(str(connection.result.get("message") or "StartTLS refused"))
                if not connection.bind():
                    raise self._words.bind_refused(connection.result)
            yield connection
            failed = bool(connection.closed)
        except (LDAPException, OSError) as exc:
            raise self._words.from_exception(exc) from exc
        finally:
            if reuse and not failed:
                self._pool.give_back(connection)
            else:
                discard(connection)

    # -- primitive reads -----------------------------------------------------------------------

    def _paged(
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
                    base or self._base,
                    search_filter,
                    scope,
                    attributes=list(attributes),
                    paged_size=self._page_size,
                    paged_cookie=cookie,
                )
                code = conn.result.get("result")
                if code == SIZE_LIMIT_EXCEEDED:
                    raise _SizeLimitedError(conn.result)
                if code != 0:
                    raise self._words.operation_failed(conn.result)
                yield from _entries(conn)
                controls = conn.result.get("controls", {})
                cookie = controls.get(PAGED_RESULTS_OID, {}).get("value", {}).get("cookie")
                if not cookie:
                    return
        except GeneratorExit:
            if cookie:
                with suppress(LDAPException, OSError):
                    conn.search(
                        base or self._base,
                        search_filter,
                        scope,
                        attributes=["1.1"],
                        paged_size=0,
                        paged_cookie=cookie,
                    )
            raise

    def _read(self, conn: Connection, dn: str, search_filter: str, attributes: Sequence[str]) -> Entry | None:
        """One entry by DN (base scope), or None when it does not exist or does not match."""
        conn.search(dn, search_filter, BASE, attributes=list(attributes))
        code = conn.result.get("result")
        if code in (NO_SUCH_OBJECT, INVALID_DN_SYNTAX):
            return None
        if code != 0:
            raise self._words.operation_failed(conn.result)
        entries = _entries(conn)
        return entries[0][1] if entries else None

    def _limited(
        self, search_filter: str, attributes: Sequence[str], limit: int
    ) -> tuple[list[tuple[str, Entry]], bool]:
        with self._session(reuse=True) as conn:
            conn.search(self._base, search_filter, SUBTREE, attributes=list(attributes), size_limit=limit + 1)
            if conn.result.get("result") not in (0, SIZE_LIMIT_EXCEEDED):
                raise self._words.operation_failed(conn.result)
            found = _entries(conn)
        truncated = bool(conn.result.get("result") == SIZE_LIMIT_EXCEEDED or len(found) > limit)
        return found[:limit], truncated

    # -- the Directory port ---------------------------------------------------------------------

    def search(self, text: str, mode: MatchMode = MatchMode.BEGINS_WITH, limit: int = 20) -> SearchResult:
        needle = text.strip()
        if not needle or "\x00" in needle:
            # No name or address holds a NUL, and slapd's IA5 matching (mail) stops at an escaped
            # one, which would make `Jo<NUL>` find what `Jo` finds.
            return SearchResult(users=[], groups=[], truncated=False)
        user_filter, group_filter = self._profile.search_filters(needle, mode)
        # Groups on a second connection, at the same time: a person waits for both.
        asking = self._helpers.submit(self._limited, group_filter, self._profile.group_attributes, limit)
        users, more_users = self._limited(user_filter, self._profile.user_attributes, limit)
        groups, more_groups = asking.result()
        found_users = [self._profile.user_from_entry(dn, entry) for dn, entry in users]
        found_groups = [self._profile.group_from_entry(dn, entry) for dn, entry in groups]
        found_users.sort(key=lambda user: (user.display_name.casefold(), user.id))
        found_groups.sort(key=lambda group: (group.name.casefold(), group.id))
        return SearchResult(users=found_users, groups=found_groups, truncated=more_users or more_groups)

    def get_user(self, user_id: str) -> DirectoryUser | None:
        if split_dn(user_id) is None or not is_under(normalize_dn(user_id), self._base_key):
            return None
        with self._session() as conn:
            entry = self._read(conn, user_id, self._profile.user_filter, self._profile.user_attributes)
        return self._profile.user_from_entry(user_id, entry) if entry is not None else None

    def expand_group(self, group_id: str) -> Iterator[DirectoryUser]:
        if split_dn(group_id) is None:
            raise DirectoryError(
                f"'{group_id}' is not a group of the directory at {self._where}: search again"
            )
        with self._session() as conn:
            if self._read(conn, group_id, self._profile.group_filter, ["1.1"]) is None:
                raise DirectoryError(
                    f"the group {group_id} is not in the directory at {self._where} (any more): search again"
                )
            yield from self._expand(conn, group_id)

    def _expand(self, conn: Connection, group_id: str) -> Iterator[DirectoryUser]:
        yielded: set[str] = set()
        visited = {normalize_dn(group_id)}
        pending = deque([group_id])
        while pending:
            for dn, key, kind, entry in self._members(conn, pending.popleft()):
                if kind is EntryKind.GROUP and key not in visited:
                    visited.add(key)
                    pending.append(dn)
                elif kind is EntryKind.USER and key not in yielded:
                    yielded.add(key)
                    yield self._profile.user_from_entry(dn, entry)

    def _member_dns(self, conn: Connection, group_dn: str) -> Iterator[tuple[str, str]]:
        """The group's direct members under the base DN as (DN, normalized DN), streamed (ranged
        on AD)."""
        for attribute in self._profile.member_attrs:

            def read(description: str) -> Entry | None:
                return self._read(conn, group_dn, "(objectClass=*)", [description])

            for value in iter_ranged_values(read, attribute):
                member = strip_optional_uid(value)
                key = normalize_dn(member)
                if is_under(key, self._base_key):
                    yield member, key

    def _members(self, conn: Connection, group_dn: str) -> Iterator[Resolved]:
        """The group's direct members that are users or groups (a member may come twice)."""
        members = self._member_dns(conn, group_dn)
        first = list(islice(members, self._scan_min))
        if len(first) < self._scan_min:
            for chunk in _batched(first, self._chunk_size):
                yield from self._resolve(conn, chunk)
            return
        by_parent: dict[str, tuple[str, dict[str, str]]] = {}  # parent key -> (parent, {key: DN})
        rest: list[tuple[str, str]] = []
        parent_keys: dict[str, str] = {}
        for dn, key in chain(first, members):
            parent = parent_dn(dn)
            if parent is None:
                rest.append((dn, key))
                continue
            parent_key = parent_keys.get(parent) or parent_keys.setdefault(parent, normalize_dn(parent))
            by_parent.setdefault(parent_key, (parent, {}))[1][key] = dn
        for parent, wanted in by_parent.values():
            if len(wanted) >= self._scan_min:
                yield from self._scan(conn, parent, wanted)
            rest += [(dn, key) for key, dn in wanted.items()]
        for chunk in _batched(rest, self._chunk_size):
            yield from self._resolve(conn, chunk)

    def _scan(self, conn: Connection, parent: str, wanted: dict[str, str]) -> Iterator[Resolved]:
        """Members directly under `parent`, by one paged one-level search of it; what it finds
        leaves `wanted`. It stops once it has read more other entries than members it was looking
        for, or at a size limit; the rest is left in `wanted`."""
        others_allowed = len(wanted)
        search = self._paged(
            conn, self._profile.user_or_group_filter, self._member_attributes, base=parent, scope=LEVEL
        )
        try:
            for dn, entry in search:
                key = normalize_dn(dn)
                if wanted.pop(key, None) is None:
                    others_allowed -= 1
                    if others_allowed < 0:
                        return
                    continue
                kind = self._profile.classify(entry.get("objectclass", ()))
                if kind is not None:
                    yield dn, key, kind, entry
                if not wanted:
                    return
        except _SizeLimitedError:
            return
        finally:
            search.close()

    def _resolve(self, conn: Connection, members: Sequence[tuple[str, str]]) -> Iterator[Resolved]:
        """Users and groups among `members` (DN, normalized DN); other entries (computers, roles)
        and DNs that do not exist are left out."""
        by_rdn: dict[str, str] = {}  # normalized DN -> filter term on its first RDN
        unfilterable = []
        for dn, key in members:
            rdn = first_rdn(dn)
            if rdn is None:
                unfilterable.append(dn)
            else:
                by_rdn[key] = f"({rdn[0]}={escape_filter_chars(rdn[1])})"
        yield from self._resolve_by_rdn(conn, by_rdn, self._member_attributes)
        for dn in unfilterable:
            entry = self._read(conn, dn, self._profile.user_or_group_filter, self._member_attributes)
            kind = self._profile.classify(entry.get("objectclass", ())) if entry is not None else None
            if entry is not None and kind is not None:
                yield dn, normalize_dn(dn), kind, entry

    def _resolve_by_rdn(
        self, conn: Connection, wanted: dict[str, str], attributes: list[str]
    ) -> Iterator[Resolved]:
        """One paged search for the chunk. A server whose size limit for this account is below
        the chunk (and does not let paging past it) gets the chunk again in halves."""
        if not wanted:
            return
        search_filter = f"(&{self._profile.user_or_group_filter}(|{''.join(dict.fromkeys(wanted.values()))}))"
        try:
            for dn, entry in self._paged(conn, search_filter, attributes):
                key = normalize_dn(dn)
                kind = self._profile.classify(entry.get("objectclass", ())) if key in wanted else None
                if kind is not None:
                    yield dn, key, kind, entry
        except _SizeLimitedError as limited:
            if len(wanted) == 1:
                raise self._words.operation_failed(limited.result) from None
            items = list(wanted.items())
            yield from self._resolve_by_rdn(conn, dict(items[: len(items) // 2]), attributes)
            yield from self._resolve_by_rdn(conn, dict(items[len(items) // 2 :]), attributes)

    def check(self) -> str:
        found, more = self._limited(self._profile.user_filter, ["1.1"], _COUNT_CAP)
        if not found:
            raise DirectoryError(
                f"the directory at {self._where} answered, but no users match the {self._profile.name} "
                f"profile under {self._base}: check the base DN in DIRECTORY_URL and DIRECTORY_PROFILE"
            )
        who = f"bound as {self._bind_dn}" if self._bind_dn else "bound anonymously"
        count = f"{len(found)}+" if more else str(len(found))
        return (
            f"ldap: {self.url} {who}, base {self._base}, profile {self._profile.name}, {count} users visible"
        )

    def close(self) -> None:
        self._helpers.shutdown(wait=False)
        self._pool.close()
