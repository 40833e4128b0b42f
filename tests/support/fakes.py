"""In-memory fakes of the ports, for service tests (no patching)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from bot.integrations.backup.port import (
    PlatformAccount,
    PlatformBackupSettings,
    PlatformCustomer,
    PlatformError,
    PlatformUserSpec,
)
from bot.integrations.directory.port import (
    DirectoryError,
    DirectoryGroup,
    DirectoryUser,
    MatchMode,
    SearchResult,
)
from bot.integrations.mail.port import MailError, OutgoingEmail


class RecordingMailer:
    """Keeps what it is asked to send; can be told to fail like a real server would."""

    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []
        self.failure: MailError | None = None
        self._lock = threading.Lock()

    def send(self, email: OutgoingEmail) -> None:
        if self.failure is not None:
            raise self.failure
        with self._lock:
            self.sent.append(email)

    def check(self) -> str:
        return "recording mailer"

    def close(self) -> None:
        return None


class InMemoryAccountsPlatform:
    """A backup platform that keeps its own accounts, in memory: for the services that read
    accounts back from a platform or import them (no HTTP). Counts the calls made to it."""

    name = "memory"
    sends_own_activation_email = True
    keeps_accounts = True

    def __init__(self) -> None:
        self.accounts: dict[str, dict[str, PlatformAccount]] = {}  # tenant → login → account
        self.calls: list[str] = []
        self.failure: PlatformError | None = None

    def add(self, tenant: str, account: PlatformAccount) -> None:
        self.accounts.setdefault(tenant, {})[account.login.lower()] = account

    def _call(self, what: str) -> None:
        self.calls.append(what)
        if self.failure is not None:
            raise self.failure

    def login_problem(self, login: str) -> str | None:
        return None

    def login_available(self, login: str) -> bool:
        self._call("login_available")
        return all(login.lower() not in by_login for by_login in self.accounts.values())

    def find_account(self, customer_provider_id: str, login: str) -> PlatformAccount | None:
        self._call("find_account")
        return self.accounts.get(customer_provider_id, {}).get(login.lower())

    def read_accounts(self, provider_ids: list[str]) -> dict[str, PlatformAccount]:
        self._call("read_accounts")
        every = {a.provider_id: a for by_login in self.accounts.values() for a in by_login.values()}
        return {i: every[i] for i in provider_ids if i in every}

    # What these services never ask of it.
    def create_user(self, spec: PlatformUserSpec) -> str:
        raise AssertionError("not expected here")

    def set_role(self, provider_user_id: str, spec: PlatformUserSpec) -> None:
        raise AssertionError("not expected here")

    def apply_backup_settings(self, provider_user_id: str, settings: PlatformBackupSettings) -> None:
        raise AssertionError("not expected here")

    def send_activation_email(self, provider_user_id: str) -> None:
        raise AssertionError("not expected here")

    def set_enabled(self, provider_user_id: str, *, enabled: bool) -> None:
        raise AssertionError("not expected here")

    def delete_account(self, provider_user_id: str) -> None:
        raise AssertionError("not expected here")

    def update_account(self, provider_user_id: str, spec: PlatformUserSpec) -> None:
        raise AssertionError("not expected here")

    def list_customers(self) -> list[PlatformCustomer]:
        return []

    def check(self) -> str:
        return "in-memory accounts platform"

    def close(self) -> None:
        return None


class FakeUsergroups:
    """The one Web API call SlackPrincipals makes, `usergroups.users.list`, answered from a dict."""

    def __init__(self, members: dict[str, list[str]]) -> None:
        self.members = members
        self.calls: list[str] = []

    def usergroups_users_list(self, *, usergroup: str) -> dict[str, object]:
        self.calls.append(usergroup)
        return {"ok": True, "users": self.members.get(usergroup, [])}

    def client(self) -> Any:
        return self


class InMemoryDirectory:
    """A directory of people and groups held in memory: searched by the start (or any part) of
    a name, account name or e-mail; a group's members stream out and, if told to, the directory
    fails after some of them, as a server that goes away half-way would. Counts its calls."""

    def __init__(self) -> None:
        self.users: dict[str, DirectoryUser] = {}
        self.groups: dict[str, tuple[DirectoryGroup, list[str]]] = {}
        self.calls: list[str] = []
        self.failure: DirectoryError | None = None
        self.fail_after: int | None = None  # members streamed before expand_group fails

    def add_user(self, user_id: str, name: str, email: str | None) -> DirectoryUser:
        account = user_id.rsplit("=", maxsplit=1)[-1]
        user = DirectoryUser(user_id, account, name, None, None, email)
        self.users[user_id] = user
        return user

    def add_group(self, group_id: str, name: str, members: list[str]) -> None:
        self.groups[group_id] = (DirectoryGroup(group_id, name, None, len(members)), members)

    def search(self, text: str, mode: MatchMode = MatchMode.BEGINS_WITH, limit: int = 20) -> SearchResult:
        self.calls.append(f"search {text}")
        if self.failure is not None:
            raise self.failure
        wanted = text.lower()

        def matches(*values: str | None) -> bool:
            found = [v.lower() for v in values if v]
            if mode is MatchMode.BEGINS_WITH:
                return any(word.startswith(wanted) for v in found for word in v.split())
            return any(wanted in v for v in found)

        users = sorted(
            (u for u in self.users.values() if matches(u.display_name, u.account_name, u.email)),
            key=lambda u: u.display_name,
        )
        groups = sorted((g for g, _ in self.groups.values() if matches(g.name)), key=lambda g: g.name)
        truncated = len(users) > limit or len(groups) > limit
        return SearchResult(users[:limit], groups[:limit], truncated)

    def expand_group(self, group_id: str) -> Iterator[DirectoryUser]:
        self.calls.append(f"expand {group_id}")
        if group_id not in self.groups:
            raise DirectoryError("That group is no longer in the directory.")
        for number, member in enumerate(self.groups[group_id][1]):
            if self.fail_after is not None and number >= self.fail_after:
                raise DirectoryError("The directory server stopped answering.")
            yield self.users[member]

    def get_user(self, user_id: str) -> DirectoryUser | None:
        return self.users.get(user_id)

    def check(self) -> str:
        return "in-memory directory"

    def close(self) -> None:
        return None
