"""The embedded directory: users and groups from a YAML or LDIF file, held in memory.

The bundled `sample_directory.yaml` is the default when DIRECTORY_URL is unset, and
`FileDirectory(users, groups)` is the in-memory fake unit tests use. Matching follows what an
LDAP server does with the same search: case-insensitive, runs of spaces count as one.
"""

from __future__ import annotations

import unicodedata
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.integrations.directory.ldap_values import normalize_dn, strip_optional_uid
from bot.integrations.directory.ldif import LdifError, parse_ldif
from bot.integrations.directory.port import (
    DirectoryError,
    DirectoryGroup,
    DirectoryUser,
    MatchMode,
    SearchResult,
)
from bot.integrations.directory.profiles import PROFILES, EntryKind

SAMPLE_PATH = Path(__file__).with_name("sample_directory.yaml")
_USER_KEYS = {"id", "account_name", "display_name", "first_name", "last_name", "email"}
_GROUP_KEYS = {"id", "name", "description", "members"}


@dataclass(frozen=True)
class GroupRecord:
    id: str
    name: str
    description: str | None
    members: tuple[str, ...]  # ids of users and groups


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


class FileDirectory:
    """Users and groups in memory. Ids are shared by users and groups, and unique."""

    def __init__(self, users: Iterable[DirectoryUser], groups: Iterable[GroupRecord], *, source: str) -> None:
        self.source = source
        self._users: dict[str, DirectoryUser] = {}
        self._groups: dict[str, DirectoryGroup] = {}
        self._members: dict[str, tuple[str, ...]] = {}
        for user in users:
            self._claim(user.id)
            self._users[user.id] = user
        for group in groups:
            self._claim(group.id)
            self._groups[group.id] = DirectoryGroup(
                group.id, group.name, group.description, len(group.members)
            )
            self._members[group.id] = group.members
        for group_id, members in self._members.items():
            unknown = [
                member for member in members if member not in self._users and member not in self._groups
            ]
            if unknown:
                raise ValueError(f"{source}: group '{group_id}' lists unknown members: {', '.join(unknown)}")

    def _claim(self, entry_id: str) -> None:
        if entry_id in self._users or entry_id in self._groups:
            raise ValueError(f"{self.source}: the id '{entry_id}' is used twice")

    # -- loading ---------------------------------------------------------------------------

    @classmethod
    def sample(cls) -> FileDirectory:
        return cls.load(SAMPLE_PATH, source="the bundled sample directory")

    @classmethod
    def load(cls, path: str | Path, *, source: str | None = None) -> FileDirectory:
        path = Path(path)
        label = source or str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"DIRECTORY_URL: cannot read the directory file {path}: {exc}") from exc
        if path.suffix.lower() == ".ldif":
            return cls.from_ldif(text, source=label)
        if path.suffix.lower() in {".yaml", ".yml"}:
            return cls.from_yaml(text, source=label)
        raise ValueError(f"DIRECTORY_URL: {path} is neither a .yaml/.yml nor an .ldif file")

    @classmethod
    def from_yaml(cls, text: str, *, source: str) -> FileDirectory:
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ValueError(f"{source}: not valid YAML ({' '.join(str(exc).split())})") from exc
        if not isinstance(data, dict) or set(data) - {"users", "groups"}:
            raise ValueError(f"{source}: expected a mapping with 'users' and 'groups' lists")
        users = [_yaml_user(source, index, item) for index, item in enumerate(_list(source, data, "users"))]
        groups = [
            _yaml_group(source, index, item) for index, item in enumerate(_list(source, data, "groups"))
        ]
        return cls(users, groups, source=source)

    @classmethod
    def from_ldif(cls, text: str, *, source: str) -> FileDirectory:
        """Entries are classified with the AD and OpenLDAP profiles (whichever matches their
        objectClass), so both an ldifde and a slapcat export work. Ids are DNs; members that
        are not in the file are left out."""
        users: list[DirectoryUser] = []
        groups: list[tuple[DirectoryGroup, list[str]]] = []
        try:
            for record in parse_ldif(text):
                classes = record.attributes.get("objectclass", [])
                for profile in PROFILES.values():
                    kind = profile.classify(classes)
                    if kind is EntryKind.USER:
                        users.append(profile.user_from_entry(record.dn, record.attributes))
                    elif kind is EntryKind.GROUP:
                        members = [
                            v for a in profile.member_attrs for v in record.attributes.get(a.lower(), [])
                        ]
                        groups.append((profile.group_from_entry(record.dn, record.attributes), members))
                    if kind is not None:
                        break
        except LdifError as exc:
            raise ValueError(f"{source}: {exc}") from exc
        all_ids = [user.id for user in users] + [group.id for group, _ in groups]
        ids = {normalize_dn(entry_id): entry_id for entry_id in all_ids}
        records = []
        for group, members in groups:
            resolved = (ids.get(normalize_dn(strip_optional_uid(member))) for member in members)
            kept = tuple(dict.fromkeys(member for member in resolved if member is not None))
            records.append(GroupRecord(group.id, group.name, group.description, kept))
        return cls(users, records, source=source)

    # -- the Directory port -----------------------------------------------------------------

    @property
    def users(self) -> tuple[DirectoryUser, ...]:
        return tuple(self._users.values())

    @property
    def groups(self) -> tuple[DirectoryGroup, ...]:
        return tuple(self._groups.values())

    def direct_members(self, group_id: str) -> tuple[str, ...]:
        return self._members[group_id]

    def search(self, text: str, mode: MatchMode = MatchMode.BEGINS_WITH, limit: int = 20) -> SearchResult:
        needle = _fold(text)
        if not needle:
            return SearchResult(users=[], groups=[], truncated=False)

        def matches(*values: str | None) -> bool:
            folded = (_fold(value) for value in values if value)
            if mode is MatchMode.BEGINS_WITH:
                return any(value.startswith(needle) for value in folded)
            return any(needle in value for value in folded)

        users = [
            user
            for user in self._users.values()
            if matches(user.display_name, user.first_name, user.last_name, user.account_name, user.email)
        ]
        groups = [group for group in self._groups.values() if matches(group.name)]
        users.sort(key=lambda user: (_fold(user.display_name), user.id))
        groups.sort(key=lambda group: (_fold(group.name), group.id))
        truncated = len(users) > limit or len(groups) > limit
        return SearchResult(users=users[:limit], groups=groups[:limit], truncated=truncated)

    def expand_group(self, group_id: str) -> Iterator[DirectoryUser]:
        if group_id not in self._groups:
            raise DirectoryError(f"the group '{group_id}' is not in {self.source} (any more): search again")
        seen: set[str] = set()
        visited = {group_id}
        pending = deque([group_id])
        while pending:
            for member in self._members[pending.popleft()]:
                if member in self._groups and member not in visited:
                    visited.add(member)
                    pending.append(member)
                elif member in self._users and member not in seen:
                    seen.add(member)
                    yield self._users[member]

    def get_user(self, user_id: str) -> DirectoryUser | None:
        return self._users.get(user_id)

    def check(self) -> str:
        return f"file: {self.source}, {len(self._users)} users, {len(self._groups)} groups"

    def close(self) -> None:
        return None


def _list(source: str, data: Mapping[str, Any], key: str) -> list[Any]:
    items = data.get(key) or []
    if not isinstance(items, list):
        raise ValueError(f"{source}: '{key}' must be a list")
    return items


def _text(source: str, where: str, item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str | int):
        raise ValueError(f"{source}: {where}: '{key}' must be text")
    return str(value).strip()


def _required(source: str, where: str, item: Mapping[str, Any], key: str) -> str:
    value = _text(source, where, item, key)
    if value is None:
        raise ValueError(f"{source}: {where}: '{key}' is required")
    return value


def _yaml_user(source: str, index: int, item: Any) -> DirectoryUser:
    where = f"users[{index}]"
    if not isinstance(item, dict):
        raise ValueError(f"{source}: {where}: expected a mapping")
    if set(item) - _USER_KEYS:
        raise ValueError(
            f"{source}: {where}: unknown keys {sorted(set(item) - _USER_KEYS)}, use {sorted(_USER_KEYS)}"
        )
    account = _required(source, where, item, "account_name")
    first, last = _text(source, where, item, "first_name"), _text(source, where, item, "last_name")
    display = _text(source, where, item, "display_name") or " ".join(p for p in (first, last) if p) or account
    user_id = _text(source, where, item, "id") or account
    return DirectoryUser(user_id, account, display, first, last, _text(source, where, item, "email"))


def _yaml_group(source: str, index: int, item: Any) -> GroupRecord:
    where = f"groups[{index}]"
    if not isinstance(item, dict):
        raise ValueError(f"{source}: {where}: expected a mapping")
    if set(item) - _GROUP_KEYS:
        raise ValueError(
            f"{source}: {where}: unknown keys {sorted(set(item) - _GROUP_KEYS)}, use {sorted(_GROUP_KEYS)}"
        )
    name = _required(source, where, item, "name")
    members = item.get("members") or []
    if not isinstance(members, list) or not all(isinstance(m, str | int) for m in members):
        raise ValueError(f"{source}: {where}: 'members' must be a list of user or group ids")
    group_id = _text(source, where, item, "id") or name
    return GroupRecord(
        group_id, name, _text(source, where, item, "description"), tuple(str(m) for m in members)
    )
