from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

# The platform's vocabulary for an account: the port's own types, which the accounts domain
# stores as they are (bot/accounts/models.py imports them from here).


class Role(StrEnum):
    USER = "user"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        return {Role.USER: "User", Role.ADMINISTRATOR: "Administrator"}[self]


class NotificationLevel(StrEnum):
    NONE = "none"
    ERRORS = "errors"
    ERRORS_AND_WARNINGS = "errors_and_warnings"
    ALL = "all"

    @property
    def label(self) -> str:
        return {
            NotificationLevel.NONE: "None",
            NotificationLevel.ERRORS: "Errors only",
            NotificationLevel.ERRORS_AND_WARNINGS: "Errors and warnings",
            NotificationLevel.ALL: "All",
        }[self]


class BackupRole(StrEnum):
    USER = "user"
    ADMINISTRATOR = "administrator"
    READ_ONLY_ADMINISTRATOR = "read_only_administrator"

    @property
    def label(self) -> str:
        return {
            BackupRole.USER: "User",
            BackupRole.ADMINISTRATOR: "Administrator",
            BackupRole.READ_ONLY_ADMINISTRATOR: "Read-only administrator",
        }[self]


@dataclass(frozen=True)
class Quotas:
    """Per-user quotas; None means unlimited."""

    storage_gb: int | None = None
    workstations: int | None = None
    servers: int | None = None
    virtual_machines: int | None = None
    mobile_devices: int | None = None
    m365_seats: int | None = None


@dataclass(frozen=True)
class PlatformSubscription:
    provider_id: str
    name: str


@dataclass(frozen=True)
class PlatformCustomer:
    provider_id: str
    name: str
    subscriptions: list[PlatformSubscription] = field(default_factory=list)
    # The customer's language on the platform (Acronis: the tenant's `language`), as it spells it.
    language: str | None = None


@dataclass(frozen=True)
class PlatformUserSpec:
    """What the platform needs to create an account."""

    customer_provider_id: str
    login: str
    email: str
    first_name: str
    last_name: str
    role: Role
    address: str | None = None
    phone: str | None = None
    # The account's language on the platform (its own e-mails and console), e.g. `en`, `de`.
    language: str = "en"


@dataclass(frozen=True)
class PlatformBackupState:
    """The Backup service an account has on the platform, in deskops' terms."""

    subscription_provider_id: str
    notification_level: NotificationLevel
    backup_role: BackupRole
    quotas: Quotas


@dataclass(frozen=True)
class PlatformAccount:
    """An account as the platform holds it, read back (activation) or found by its login."""

    provider_id: str
    login: str
    # Where the platform sends the account's mail (activation, notifications).
    email: str
    first_name: str
    last_name: str
    activated: bool
    enabled: bool
    # Read only when the account is looked up by its login (it costs a call per account).
    role: Role | None = None
    phone: str | None = None
    address: str | None = None
    # Its Backup service (looked up by login only), None when it has none.
    backup: PlatformBackupState | None = None


@dataclass(frozen=True)
class PlatformBackupSettings:
    subscription_provider_id: str | None
    subscription_name: str
    notification_level: NotificationLevel
    backup_role: BackupRole
    quotas: Quotas


class PlatformError(Exception):
    """The platform refused or failed. `str(error)` is a sentence for the helpdesk;
    `transient` errors are retried by the outbox."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class BackupPlatform(Protocol):
    """Where backup accounts really live. Listeners and builders never see which one is used."""

    name: str
    # True when the platform e-mails its own activation link (Acronis); the local provider
    # relies on deskops' own /activate/<token> page.
    sends_own_activation_email: bool
    # True when accounts live on the platform, so activation is read back from it and accounts
    # made there (not through deskops) can be found by their login.
    keeps_accounts: bool

    def login_problem(self, login: str) -> str | None:
        """Why the platform cannot take this sign-in name (its character set), or None."""

    def login_available(self, login: str) -> bool:
        """False when the sign-in name is taken on the platform."""

    def find_account(self, customer_provider_id: str, login: str) -> PlatformAccount | None:
        """The account signing in with `login` in the customer's tenant, made through deskops or
        not; None when there is none (or the platform keeps no accounts of its own)."""

    def read_accounts(self, provider_ids: list[str]) -> dict[str, PlatformAccount]:
        """The accounts with these ids as the platform has them now (activation, enabled); an id
        missing from the answer no longer exists there. Empty for a platform that keeps no
        accounts of its own."""

    def create_user(self, spec: PlatformUserSpec) -> str:
        """Create the account and return its platform id. Must be safe to call again after a
        failure: an account that already exists for this login is found and returned."""

    def set_role(self, provider_user_id: str, spec: PlatformUserSpec) -> None:
        """Give the account its role (User / Administrator)."""

    def apply_backup_settings(self, provider_user_id: str, settings: PlatformBackupSettings) -> None:
        """Assign the Backup service: subscription, notifications, backup role, quotas."""

    def send_activation_email(self, provider_user_id: str) -> None:
        """Ask the platform to e-mail the activation link (only when sends_own_activation_email)."""

    def set_enabled(self, provider_user_id: str, *, enabled: bool) -> None:
        """Let the account sign in (True) or not (False). Safe to call again."""

    def update_account(self, provider_user_id: str, spec: PlatformUserSpec) -> None:
        """Bring the account's contact details and role in line with `spec` (the login stays)."""

    def delete_account(self, provider_user_id: str) -> None:
        """Delete the account for good (disabling it first where the platform requires). An account
        that is already gone counts as deleted."""

    def list_customers(self) -> list[PlatformCustomer]:
        """Customer tenants and their subscriptions, for `deskops customers sync`."""

    def check(self) -> str:
        """One line for `deskops doctor`, or raise PlatformError."""

    def close(self) -> None:
        """Release connections (at shutdown)."""
