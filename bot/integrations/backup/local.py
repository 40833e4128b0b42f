"""The embedded backup provider: the bot's own database is the platform."""

from __future__ import annotations

import uuid

from bot.integrations.backup.port import (
    PlatformAccount,
    PlatformBackupSettings,
    PlatformCustomer,
    PlatformError,
    PlatformUserSpec,
)


class LocalBackupPlatform:
    name = "local"
    sends_own_activation_email = False
    keeps_accounts = False

    def login_problem(self, login: str) -> str | None:
        return None

    def login_available(self, login: str) -> bool:
        # Uniqueness per customer is enforced by the database itself.
        return True

    def find_account(self, customer_provider_id: str, login: str) -> PlatformAccount | None:
        return None  # every account of this provider is a deskops user already

    def read_accounts(self, provider_ids: list[str]) -> dict[str, PlatformAccount]:
        return {}

    def create_user(self, spec: PlatformUserSpec) -> str:
        return f"local-{uuid.uuid5(uuid.NAMESPACE_URL, spec.customer_provider_id + '/' + spec.login.lower())}"

    def set_role(self, provider_user_id: str, spec: PlatformUserSpec) -> None:
        return None

    def apply_backup_settings(self, provider_user_id: str, settings: PlatformBackupSettings) -> None:
        return None

    def send_activation_email(self, provider_user_id: str) -> None:
        raise PlatformError("the local provider has no activation e-mail of its own", transient=False)

    def set_enabled(self, provider_user_id: str, *, enabled: bool) -> None:
        """Nothing to do: deskops' own records are the accounts (the user's status says it all)."""

    def update_account(self, provider_user_id: str, spec: PlatformUserSpec) -> None:
        """Nothing to do: deskops' own records are the accounts."""

    def delete_account(self, provider_user_id: str) -> None:
        """Nothing to do: the record stays in deskops' database, marked deleted, for the audit."""

    def list_customers(self) -> list[PlatformCustomer]:
        return []

    def check(self) -> str:
        return "local provider: accounts are kept in the deskops database"

    def close(self) -> None:
        return None
