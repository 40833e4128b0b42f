from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.customers.models import Customer, Subscription
from bot.db import Base
from bot.folding import fold
from bot.integrations.backup.port import BackupRole, NotificationLevel, Role

__all__ = [
    "ActivationToken",
    "BackupRole",
    "BackupUser",
    "NotificationLevel",
    "ProvisioningState",
    "Role",
    "Service",
    "ServiceAssignment",
    "UserStatus",
]


def _enum(cls: type[StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e])


class UserStatus(StrEnum):
    PENDING_ACTIVATION = "pending_activation"
    ACTIVE = "active"
    # Cannot sign in (Acronis: the account's `enabled` flag is false); gets no reminders.
    DISABLED = "disabled"
    # Gone from the platform; the record stays for the audit trail.
    DELETED = "deleted"

    @property
    def label(self) -> str:
        return {
            UserStatus.PENDING_ACTIVATION: "pending activation",
            UserStatus.ACTIVE: "active",
            UserStatus.DISABLED: "disabled",
            UserStatus.DELETED: "deleted",
        }[self]


class ProvisioningState(StrEnum):
    """Where the account stands on the backup platform (always `done` for the local provider)."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Service(StrEnum):
    BACKUP = "backup"

    @property
    def label(self) -> str:
        return "Backup"


class BackupUser(Base):
    __tablename__ = "backup_users"
    __table_args__ = (
        UniqueConstraint("customer_id", "email_key"),
        Index("ix_backup_users_status_created_at", "status", "created_at"),
        # /backup find: "contains" over 100,000s of users without reading them all (PostgreSQL).
        Index(
            "ix_backup_users_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            info={"dialect": "postgresql"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320))
    # Lower-cased sign-in e-mail: uniqueness per customer is case-insensitive on every backend.
    email_key: Mapped[str] = mapped_column(String(320), index=True)
    notification_email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(_enum(Role, "user_role"))
    address: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[UserStatus] = mapped_column(_enum(UserStatus, "user_status"))
    provider_id: Mapped[str | None] = mapped_column(String(100))
    # Indexed, as created_at and activated_at, for the daily digest (users added, activated and
    # failed on the platform, out of years of them).
    provisioning: Mapped[ProvisioningState] = mapped_column(
        _enum(ProvisioningState, "provisioning_state"), default=ProvisioningState.DONE, index=True
    )
    provisioning_error: Mapped[str | None] = mapped_column(String(1000))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(index=True)
    activated_at: Mapped[datetime | None] = mapped_column(index=True)
    # Names and e-mails folded (bot/folding.py) for /backup find; kept up to date on every flush.
    search_text: Mapped[str] = mapped_column(String(1400), default="", server_default="")
    # Idempotency key of the modal that created the user: a double-clicked submit finds it.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    customer: Mapped[Customer] = relationship()
    services: Mapped[list[ServiceAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ServiceAssignment.id"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def mail_to(self) -> str:
        """Where mail meant for the user goes: the notification e-mail when set."""
        return self.notification_email or self.email

    def assignment(self, service: Service) -> ServiceAssignment | None:
        return next((item for item in self.services if item.service is service), None)


def search_text_of(user: BackupUser) -> str:
    return search_text_for(user.first_name, user.last_name, user.email, user.notification_email)


def search_text_for(first_name: str, last_name: str, email: str, notification_email: str | None) -> str:
    parts = (first_name, last_name, email, notification_email or "")
    return fold(" ".join(part for part in parts if part))


@event.listens_for(BackupUser, "before_insert")
@event.listens_for(BackupUser, "before_update")
def _keep_search_text(mapper: object, connection: object, user: BackupUser) -> None:
    user.search_text = search_text_of(user)


class ServiceAssignment(Base):
    __tablename__ = "service_assignments"
    __table_args__ = (UniqueConstraint("user_id", "service"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("backup_users.id", ondelete="CASCADE"), index=True)
    service: Mapped[Service] = mapped_column(_enum(Service, "service"))
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="RESTRICT"), index=True
    )
    notification_level: Mapped[NotificationLevel] = mapped_column(
        _enum(NotificationLevel, "notification_level")
    )
    backup_role: Mapped[BackupRole] = mapped_column(_enum(BackupRole, "backup_role"))
    quota_storage_gb: Mapped[int | None]
    quota_workstations: Mapped[int | None]
    quota_servers: Mapped[int | None]
    quota_virtual_machines: Mapped[int | None]
    quota_mobile_devices: Mapped[int | None]
    quota_m365_seats: Mapped[int | None]
    assigned_by: Mapped[str] = mapped_column(String(40))
    assigned_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    user: Mapped[BackupUser] = relationship(back_populates="services")
    subscription: Mapped[Subscription] = relationship()


class ActivationToken(Base):
    """A single-use activation link; only the SHA-256 of the token is stored."""

    __tablename__ = "activation_tokens"
    # When each user was last sent one (the reminder job asks it for every user pending activation).
    __table_args__ = (Index("ix_activation_tokens_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("backup_users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # With the server's key, derives the token again (bot/tokens.py); alone it opens nothing.
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[BackupUser] = relationship()
