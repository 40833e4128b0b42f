"""Read models of backup users for builders: plain frozen values, no database behind them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.accounts.models import (
    BackupRole,
    BackupUser,
    NotificationLevel,
    ProvisioningState,
    Role,
    Service,
    ServiceAssignment,
    UserStatus,
)
from bot.accounts.queries import ActivationMailProblem
from bot.integrations.backup.port import Quotas


@dataclass(frozen=True)
class BackupServiceSummary:
    subscription_id: int
    subscription: str
    notification_level: NotificationLevel
    backup_role: BackupRole
    quotas: Quotas


@dataclass(frozen=True)
class UserSummary:
    id: int
    customer_id: int
    customer: str
    full_name: str
    first_name: str
    last_name: str
    email: str
    notification_email: str | None
    role: Role
    address: str | None
    phone: str | None
    status: UserStatus
    provisioning: ProvisioningState
    provisioning_error: str | None
    created_by: str
    created_at: datetime
    activated_at: datetime | None
    activation_sent_at: datetime | None
    backup: BackupServiceSummary | None
    # Why the activation e-mail has not gone out (SMTP down, address refused); None when it did.
    activation_problem: ActivationMailProblem | None = None

    @property
    def mail_to(self) -> str:
        return self.notification_email or self.email


def quotas_of(assignment: ServiceAssignment) -> Quotas:
    return Quotas(
        storage_gb=assignment.quota_storage_gb,
        workstations=assignment.quota_workstations,
        servers=assignment.quota_servers,
        virtual_machines=assignment.quota_virtual_machines,
        mobile_devices=assignment.quota_mobile_devices,
        m365_seats=assignment.quota_m365_seats,
    )


def summarize(
    user: BackupUser,
    *,
    activation_sent_at: datetime | None = None,
    activation_problem: ActivationMailProblem | None = None,
) -> UserSummary:
    assignment = user.assignment(Service.BACKUP)
    backup = None
    if assignment is not None:
        backup = BackupServiceSummary(
            subscription_id=assignment.subscription_id,
            subscription=assignment.subscription.name,
            notification_level=assignment.notification_level,
            backup_role=assignment.backup_role,
            quotas=quotas_of(assignment),
        )
    return UserSummary(
        id=user.id,
        customer_id=user.customer_id,
        customer=user.customer.name,
        full_name=user.full_name,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        notification_email=user.notification_email,
        role=user.role,
        address=user.address,
        phone=user.phone,
        status=user.status,
        provisioning=user.provisioning,
        provisioning_error=user.provisioning_error,
        created_by=user.created_by,
        created_at=user.created_at,
        activated_at=user.activated_at,
        activation_sent_at=activation_sent_at,
        backup=backup,
        activation_problem=activation_problem,
    )
