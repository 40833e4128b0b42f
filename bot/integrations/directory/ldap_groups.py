"""Group expansion in the LDAP directory, streamed. Member DNs come from the group's `member`/`uniqueMember` attribute,
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

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice
from typing import TypeVar

from ldap3 import LEVEL, Connection
from ldap3.utils.conv import escape_filter_chars

from bot.integrations.directory.ldap_reads import LdapReader, SizeLimitedError
from bot.integrations.directory.ldap_values import (
    Entry,
    first_rdn,
    is_under,
    iter_ranged_values,
    normalize_dn,
    parent_dn,
    strip_optional_uid,
)
from bot.integrations.directory.port import DirectoryUser
from bot.integrations.directory.profiles import EntryKind, LdapProfile

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


class GroupExpansion:
    """The users of a group and of the groups nested in it, each once, read with `reader`."""

    def __init__(
        self,
        reader: LdapReader,
        profile: LdapProfile,
        *,
        base_key: str,
        chunk_size: int,
        scan_min_members: int,
    ) -> None:
        self._reader, self._profile, self._base_key = reader, profile, base_key
        self._chunk_size, self._scan_min = chunk_size, scan_min_members
        self._member_attributes = list(dict.fromkeys([*profile.user_attributes, *profile.group_attributes]))

    def users(self, conn: Connection, group_id: str) -> Iterator[DirectoryUser]:
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
                return self._reader.read(conn, group_dn, "(objectClass=*)", [description])

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
        search = self._reader.paged(
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
        except SizeLimitedError:
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
            entry = self._reader.read(conn, dn, self._profile.user_or_group_filter, self._member_attributes)
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
            for dn, entry in self._reader.paged(conn, search_filter, attributes):
                key = normalize_dn(dn)
                kind = self._profile.classify(entry.get("objectclass", ())) if key in wanted else None
                if kind is not None:
                    yield dn, key, kind, entry
        except SizeLimitedError as limited:
            if len(wanted) == 1:
                raise self._reader.words.operation_failed(limited.result) from None
            items = list(wanted.items())
            yield from self._resolve_by_rdn(conn, dict(items[: len(items) // 2]), attributes)
            yield from self._resolve_by_rdn(conn, dict(items[len(items) // 2 :]), attributes)
