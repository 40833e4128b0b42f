"""The directory port: who can be invited, and which users a group stands for.

Two implementations sit behind it: `FileDirectory` (a YAML or LDIF file; the bundled sample is
the embedded default and doubles as the in-memory fake for unit tests) and `LdapDirectory`
(Active Directory or OpenLDAP through ldap3).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class MatchMode(StrEnum):
    """How the search text is matched against names, account name and e-mail."""

    BEGINS_WITH = "begins_with"  # attr=text* - can use the server's indexes, the default
    CONTAINS = "contains"  # attr=*text*


@dataclass(frozen=True)
class DirectoryUser:
    # Stable and opaque to callers: the DN for LDAP and LDIF, the file's id for YAML.
    id: str
    account_name: str
    display_name: str
    first_name: str | None
    last_name: str | None
    email: str | None  # None: "No email address assigned" in the invitation modal


@dataclass(frozen=True)
class DirectoryGroup:
    id: str
    name: str
    description: str | None
    # Direct members, when the implementation knows it cheaply (the file directory does;
    # LDAP does not, because counting means reading the whole member attribute).
    member_count: int | None


@dataclass(frozen=True)
class SearchResult:
    users: list[DirectoryUser]  # at most `limit`, sorted by display name
    groups: list[DirectoryGroup]  # at most `limit`, sorted by name
    truncated: bool  # more users or more groups matched than `limit`


class DirectoryError(Exception):
    """The directory cannot answer. `str(error)` is one sentence a helpdesk person can act on
    (which setting to check); it never contains a password."""


class Directory(Protocol):
    def search(self, text: str, mode: MatchMode = MatchMode.BEGINS_WITH, limit: int = 20) -> SearchResult:
        """Users and groups matching `text` (case-insensitive; wildcard and filter characters in
        `text` are literal). Blank text matches nothing."""

    def expand_group(self, group_id: str) -> Iterator[DirectoryUser]:
        """Every user in the group, nested groups included (cycle-safe), each user once,
        streamed as it is resolved. Raises DirectoryError (when iterated) if the group is gone."""

    def get_user(self, user_id: str) -> DirectoryUser | None:
        """The user with this id, or None if there is none (any more)."""

    def check(self) -> str:
        """One line for `deskops doctor`, or DirectoryError saying what is wrong."""

    def close(self) -> None:
        """Release resources; the directory is not used afterwards."""
