"""Attribute profiles: what Active Directory and OpenLDAP call things, as data.

Everything here is pure (no connection), so the filters and entry conversion of both profiles
are unit-tested without a server, and the LDIF reader of the file directory reuses them.
Attribute names are kept in their usual spelling for requests; lookups in entries go through
lower-cased keys (`Entry` below), because LDAP attribute names are case-insensitive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ldap3.utils.conv import escape_filter_chars

from bot.integrations.directory.port import DirectoryGroup, DirectoryUser, MatchMode

# Lower-cased attribute name -> values, as read from the server or an LDIF file.
Entry = Mapping[str, Sequence[str]]


class EntryKind(StrEnum):
    USER = "user"
    GROUP = "group"


@dataclass(frozen=True)
class LdapProfile:
    name: str
    user_filter: str
    group_filter: str
    # Client-side classification of entries met as group members or in LDIF files; must agree
    # with the filters above. AD computers are objectClass=user too, hence `non_user_classes`.
    user_classes: frozenset[str]
    non_user_classes: frozenset[str]
    group_classes: frozenset[str]
    account_name_attrs: tuple[str, ...]  # first one present wins
    display_name_attrs: tuple[str, ...]
    first_name_attr: str
    last_name_attr: str
    mail_attr: str
    user_search_attrs: tuple[str, ...]  # what the Search box matches
    group_name_attrs: tuple[str, ...]  # first one present is the name; all are searched
    group_description_attr: str
    member_attrs: tuple[str, ...]

    @property
    def user_attributes(self) -> list[str]:
        names = ["objectClass", *self.account_name_attrs, *self.display_name_attrs]
        names += [self.first_name_attr, self.last_name_attr, self.mail_attr]
        return list(dict.fromkeys(names))

    @property
    def group_attributes(self) -> list[str]:
        return list(dict.fromkeys(["objectClass", *self.group_name_attrs, self.group_description_attr]))

    @property
    def user_or_group_filter(self) -> str:
        return f"(|{self.user_filter}{self.group_filter})"

    def classify(self, object_classes: Sequence[str]) -> EntryKind | None:
        classes = {value.lower() for value in object_classes}
        if classes & self.group_classes:
            return EntryKind.GROUP
        if classes & self.user_classes and not classes & self.non_user_classes:
            return EntryKind.USER
        return None

    def user_from_entry(self, dn: str, entry: Entry) -> DirectoryUser:
        display = _first(entry, self.display_name_attrs)
        first = _first(entry, (self.first_name_attr,))
        last = _first(entry, (self.last_name_attr,))
        account = _first(entry, self.account_name_attrs)
        if display is None:
            display = " ".join(part for part in (first, last) if part) or account or dn
        return DirectoryUser(
            id=dn,
            account_name=account or display,
            display_name=display,
            first_name=first,
            last_name=last,
            email=_first(entry, (self.mail_attr,)),
        )

    def group_from_entry(self, dn: str, entry: Entry, member_count: int | None = None) -> DirectoryGroup:
        return DirectoryGroup(
            id=dn,
            name=_first(entry, self.group_name_attrs) or dn,
            description=_first(entry, (self.group_description_attr,)),
            member_count=member_count,
        )

    def search_filters(self, text: str, mode: MatchMode) -> tuple[str, str]:
        """(user filter, group filter) for what a helpdesk person typed. The text is escaped
        with ldap3's escape_filter_chars, so `*`, `(`, `)`, `\\` and NUL are literal."""
        pattern = match_pattern(text, mode)
        users = "".join(f"({attr}={pattern})" for attr in self.user_search_attrs)
        groups = "".join(f"({attr}={pattern})" for attr in self.group_name_attrs)
        return f"(&{self.user_filter}(|{users}))", f"(&{self.group_filter}(|{groups}))"


def match_pattern(text: str, mode: MatchMode) -> str:
    """The assertion value of a substring filter: `jo*` or `*jo*`, with `text` escaped."""
    escaped = escape_filter_chars(text)
    return f"{escaped}*" if mode is MatchMode.BEGINS_WITH else f"*{escaped}*"


def _first(entry: Entry, names: Sequence[str]) -> str | None:
    for name in names:
        for value in entry.get(name.lower(), ()):
            if value.strip():
                return value.strip()
    return None


ACTIVE_DIRECTORY = LdapProfile(
    name="ad",
    user_filter="(&(objectCategory=person)(objectClass=user))",
    group_filter="(objectClass=group)",
    user_classes=frozenset({"user"}),
    non_user_classes=frozenset({"computer"}),
    group_classes=frozenset({"group"}),
    account_name_attrs=("sAMAccountName", "userPrincipalName"),
    display_name_attrs=("displayName", "cn"),
    first_name_attr="givenName",
    last_name_attr="sn",
    mail_attr="mail",
    user_search_attrs=("displayName", "givenName", "sn", "sAMAccountName", "userPrincipalName", "mail"),
    group_name_attrs=("cn", "sAMAccountName"),
    group_description_attr="description",
    member_attrs=("member",),
)

OPENLDAP = LdapProfile(
    name="openldap",
    user_filter="(objectClass=inetOrgPerson)",
    group_filter="(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))",
    user_classes=frozenset({"inetorgperson"}),
    non_user_classes=frozenset(),
    group_classes=frozenset({"groupofnames", "groupofuniquenames"}),
    account_name_attrs=("uid", "cn"),
    display_name_attrs=("displayName", "cn"),
    first_name_attr="givenName",
    last_name_attr="sn",
    mail_attr="mail",
    user_search_attrs=("displayName", "cn", "givenName", "sn", "uid", "mail"),
    group_name_attrs=("cn",),
    group_description_attr="description",
    member_attrs=("member", "uniqueMember"),
)

PROFILES: dict[str, LdapProfile] = {profile.name: profile for profile in (ACTIVE_DIRECTORY, OPENLDAP)}


def profile_named(name: str) -> LdapProfile:
    try:
        return PROFILES[str(name).lower()]
    except KeyError:
        known = " or ".join(f"'{key}'" for key in PROFILES)
        raise ValueError(f"DIRECTORY_PROFILE: unknown profile '{name}', use {known}") from None
