"""In-memory fakes of the ports, for service tests (no patching)."""

from __future__ import annotations

import threading
from typing import Any

from bot.integrations.backup.port import (
    PlatformAccount,
    PlatformBackupSettings,
    PlatformCustomer,
    PlatformError,
    PlatformUserSpec,
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
