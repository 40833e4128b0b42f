"""The embedded backup provider: the bot's own database is the platform."""

from __future__ import annotations

import uuid

from bot.integrations.backup.port import (
    PlatformBackupSettings,
    PlatformCustomer,
    PlatformError,
    PlatformUserSpec,
)


class LocalBackupPlatform:
    name = "local"
    sends_own_activation_email = False

    def login_available(self, login: str) -> bool:
        # Uniqueness per customer is enforced by the database itself.
        return True

    def create_user(self, spec: PlatformUserSpec) -> str:
        return f"local-{uuid.uuid5(uuid.NAMESPACE_URL, spec.customer_provider_id + '/' + spec.login.lower())}"

    def set_role(self, provider_user_id: str, spec: PlatformUserSpec) -> None:
        return None

    def apply_backup_settings(self, provider_user_id: str, settings: PlatformBackupSettings) -> None:
        return None

    def send_activation_email(self, provider_user_id: str) -> None:
        raise PlatformError("the local provider has no activation e-mail of its own", transient=False)

    def list_customers(self) -> list[PlatformCustomer]:
        return []

    def check(self) -> str:
        return "local provider: accounts are kept in the deskops database"

    def close(self) -> None:
        return None
