"""The Backup service of a user: assign it, change its settings, retry the platform set-up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from bot.accounts.actions import UserAction
from bot.accounts.forms import BackupSettings, BackupSettingsForm, Field, check_backup_settings
from bot.accounts.jobs import (
    AccountJob,
    CardHeadline,
    CardIfNone,
    FollowUp,
    follow_up_in_thread,
    refresh_cards,
)
from bot.accounts.models import (
    BackupUser,
    ProvisioningState,
    Service,
    ServiceAssignment,
)
from bot.accounts.queries import check_user_in_scope, get_user, last_activation_sent
from bot.accounts.summary import UserSummary, summarize
from bot.audit.service import record
from bot.customers.service import CustomerSummary, customer_summary
from bot.db import Database
from bot.errors import FieldErrors, InvalidState
from bot.outbox.service import enqueue
from bot.request_keys import claim

# Through the table, not the mapped class: the ORM's bulk insert costs twice the statement.
# Inline: nothing reads the new id, so no RETURNING to fetch and process.
_INSERT_ASSIGNMENT = insert(cast(Table, ServiceAssignment.__table__)).inline()


def _check_subscription(customer: CustomerSummary, settings: BackupSettings) -> None:
    if settings.subscription_id not in {s.id for s in customer.subscriptions}:
        raise FieldErrors({Field.SUBSCRIPTION: f"That subscription does not belong to {customer.name}."})


def _settings_columns(settings: BackupSettings, now: datetime) -> dict[str, object]:
    """A Backup service's columns that its settings decide."""
    quotas = settings.quotas
    return {
        "subscription_id": settings.subscription_id,
        "notification_level": settings.notification_level,
        "backup_role": settings.backup_role,
        "quota_storage_gb": quotas.storage_gb,
        "quota_workstations": quotas.workstations,
        "quota_servers": quotas.servers,
        "quota_virtual_machines": quotas.virtual_machines,
        "quota_mobile_devices": quotas.mobile_devices,
        "quota_m365_seats": quotas.m365_seats,
        "updated_at": now,
    }


def apply_backup(
    session: Session, user: BackupUser, settings: BackupSettings, *, actor: str, now: datetime
) -> ServiceAssignment:
    _check_subscription(customer_summary(session, user.customer_id), settings)
    assignment = session.scalar(
        select(ServiceAssignment).where(
            ServiceAssignment.user_id == user.id, ServiceAssignment.service == Service.BACKUP
        )
    )
    if assignment is None:
        assignment = ServiceAssignment(
            user_id=user.id, service=Service.BACKUP, assigned_by=actor, assigned_at=now
        )
        session.add(assignment)
    for column, value in _settings_columns(settings, now).items():
        setattr(assignment, column, value)
    session.flush()
    session.expire(user, ["services"])
    return assignment


def add_backup(
    session: Session,
    user_id: int,
    customer: CustomerSummary,
    settings: BackupSettings,
    *,
    actor: str,
    now: datetime,
) -> None:
    """The Backup service of a user of `customer` created in this transaction (so it has none
    yet, and nothing of it is loaded): one statement, no object for the unit of work to flush."""
    _check_subscription(customer, settings)
    columns = {"user_id": user_id, "service": Service.BACKUP, "assigned_by": actor, "assigned_at": now}
    session.execute(_INSERT_ASSIGNMENT, columns | _settings_columns(settings, now))


def has_backup(user: BackupUser) -> bool:
    return user.assignment(Service.BACKUP) is not None


def ensure_can_assign(user: BackupUser) -> None:
    if has_backup(user):
        raise InvalidState(
            f"{user.full_name} already has the Backup service; use `/backup settings {user.email}`."
        )


def ensure_has_backup(user: BackupUser) -> None:
    if user.assignment(Service.BACKUP) is None:
        raise InvalidState(f"{user.full_name} has no Backup service yet; use `/backup assign {user.email}`.")


def settings_for_user(
    session: Session, user_id: int, form: BackupSettingsForm, *, keep_subscription: bool
) -> BackupSettings:
    """Check settings typed for a user: against the customer's subscriptions, or keeping the
    subscription the user already has (Backup User Settings does not change it)."""
    user = get_user(session, user_id)
    current = user.assignment(Service.BACKUP)
    if keep_subscription and current is not None:
        return check_backup_settings(
            replace(form, subscription_id=current.subscription_id), subscription_ids=[current.subscription_id]
        )
    customer = customer_summary(session, user.customer_id)
    return check_backup_settings(form, subscription_ids=[s.id for s in customer.subscriptions])


def assign_backup(
    session: Session,
    *,
    user_id: int,
    settings: BackupSettings,
    actor: str,
    now: datetime,
    notify_channels: Sequence[str],
    change_key: str,
) -> BackupUser:
    user = get_user(session, user_id)
    ensure_can_assign(user)
    apply_backup(session, user, settings, actor=actor, now=now)
    _settings_changed(session, user, action="service.assigned", actor=actor, now=now, settings=settings)
    follow_up_in_thread(
        session,
        user_id,
        change=FollowUp.SERVICE_ASSIGNED,
        actor=actor,
        now=now,
        change_key=change_key,
        card_if_none=CardIfNone(notify_channels, CardHeadline.SERVICE_ASSIGNED),
    )
    return get_user(session, user_id)


def update_backup_settings(
    session: Session,
    *,
    user_id: int,
    settings: BackupSettings,
    actor: str,
    now: datetime,
    notify_channels: Sequence[str],
    change_key: str,
) -> BackupUser:
    """Change the Backup settings once per `change_key` (the submitted view): the same submission
    again, a double click on Save, changes nothing a second time."""
    if not claim(session, f"backup-settings:{change_key}", now=now):
        return get_user(session, user_id)
    user = get_user(session, user_id)
    ensure_has_backup(user)
    apply_backup(session, user, settings, actor=actor, now=now)
    _settings_changed(
        session, user, action="service.settings_changed", actor=actor, now=now, settings=settings
    )
    follow_up_in_thread(
        session,
        user_id,
        change=FollowUp.SETTINGS_CHANGED,
        actor=actor,
        now=now,
        change_key=change_key,
        card_if_none=CardIfNone(notify_channels, CardHeadline.SETTINGS_CHANGED),
    )
    return get_user(session, user_id)


def _settings_changed(
    session: Session, user: BackupUser, *, action: str, actor: str, now: datetime, settings: BackupSettings
) -> None:
    record(
        session,
        actor=actor,
        action=action,
        target=user.email,
        now=now,
        customer_id=user.customer_id,
        details={
            "user_id": user.id,
            "subscription_id": settings.subscription_id,
            "notifications": settings.notification_level.value,
            "backup_role": settings.backup_role.value,
            "quotas": {k: v for k, v in vars(settings.quotas).items() if v is not None},
        },
    )
    user.provisioning = ProvisioningState.PENDING
    user.provisioning_error = None
    enqueue(session, kind=AccountJob.PROVISION, payload={"user_id": user.id}, now=now)
    refresh_cards(session, user.id, now=now)


def retry_provisioning(session: Session, *, user_id: int, actor: str, now: datetime) -> BackupUser:
    user = get_user(session, user_id)
    if user.provisioning is not ProvisioningState.FAILED:
        raise InvalidState(f"{user.full_name} is not waiting for a retry.")
    user.provisioning = ProvisioningState.PENDING
    user.provisioning_error = None
    record(
        session,
        actor=actor,
        action="user.provisioning_retried",
        target=user.email,
        now=now,
        customer_id=user.customer_id,
        details={"user_id": user.id},
    )
    enqueue(session, kind=AccountJob.PROVISION, payload={"user_id": user.id}, now=now)
    refresh_cards(session, user.id, now=now)
    return user


def retry_platform_setup(db: Database, action: UserAction, *, now: datetime) -> str:
    """The card's Retry: `retry_provisioning` in its own transaction; returns the user's name."""
    check_user_in_scope(db, action.user_id, action.scope)
    with db.transaction() as session:
        return retry_provisioning(session, user_id=action.user_id, actor=action.actor, now=now).full_name


@dataclass(frozen=True)
class UserBackup:
    """A user and their customer, as Assign Service and Backup User Settings show them."""

    user: UserSummary
    customer: CustomerSummary

    @property
    def has_backup(self) -> bool:
        return self.user.backup is not None


def user_backup(
    db: Database, action: UserAction, *, require: Callable[[BackupUser], None] | None = None
) -> UserBackup:
    """The user (in the person's scope) and their customer; `require` may refuse the user."""
    with db.read() as session:
        user = get_user(session, action.user_id)
        action.scope.check(user.customer.name)
        if require is not None:
            require(user)
        return UserBackup(
            user=summarize(user, activation_sent_at=last_activation_sent(session, user.id)),
            customer=customer_summary(session, user.customer_id),
        )


def user_to_assign(db: Database, action: UserAction) -> UserBackup:
    """The user `/backup assign` names: one without the Backup service yet."""
    return user_backup(db, action, require=ensure_can_assign)


def user_with_backup(db: Database, action: UserAction) -> UserBackup:
    """The user `/backup settings` names: one with the Backup service."""
    return user_backup(db, action, require=ensure_has_backup)


@dataclass(frozen=True)
class SaveBackupSettings:
    """Assign Service (`assigning`) or Backup User Settings, submitted."""

    action: UserAction
    form: BackupSettingsForm
    assigning: bool
    # The submitted view: the same submission again changes nothing a second time.
    change_key: str
    # Where the card goes: the channel the command was typed in, and the audit channel.
    notify_channels: tuple[str, ...]


def save_backup_settings(db: Database, command: SaveBackupSettings, *, now: datetime) -> None:
    """Check the settings against the customer's subscriptions and apply them, in one transaction."""
    action = command.action
    check_user_in_scope(db, action.user_id, action.scope)
    with db.transaction() as session:
        settings = settings_for_user(
            session, action.user_id, command.form, keep_subscription=not command.assigning
        )
        change = assign_backup if command.assigning else update_backup_settings
        change(
            session,
            user_id=action.user_id,
            settings=settings,
            actor=action.actor,
            now=now,
            notify_channels=command.notify_channels,
            change_key=command.change_key,
        )
