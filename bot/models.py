"""Every ORM model, imported in one place for Alembic's autogenerate and `alembic check`."""

from bot.accounts.import_models import ImportRow, UserImport
from bot.accounts.models import ActivationToken, BackupUser, ServiceAssignment
from bot.approvals.models import ApprovalRequest
from bot.audit.models import AuditEvent
from bot.customers.models import Customer, Subscription
from bot.db import Base
from bot.enrollment.models import Device, DraftInvitee, Invitation, InvitationBatch, InviteDraft
from bot.mailrelay.models import MailRelaySlot, MailRelayState
from bot.outbox.models import OutboxMessage
from bot.reminders.models import Reminder
from bot.request_keys import RequestKey
from bot.scheduler.models import SchedulerRun
from bot.slack.models import PostedMessage

__all__ = [
    "ActivationToken",
    "ApprovalRequest",
    "AuditEvent",
    "BackupUser",
    "Base",
    "Customer",
    "Device",
    "DraftInvitee",
    "ImportRow",
    "Invitation",
    "InvitationBatch",
    "InviteDraft",
    "MailRelaySlot",
    "MailRelayState",
    "OutboxMessage",
    "PostedMessage",
    "Reminder",
    "RequestKey",
    "SchedulerRun",
    "ServiceAssignment",
    "Subscription",
    "UserImport",
]
