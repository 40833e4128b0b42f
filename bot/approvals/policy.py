"""What needs a lead's approval: the policy in configuration (APPROVAL_* settings).

Approvals are off while APPROVALS_CHANNEL is unset: every action then runs at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.config import Settings


class ApprovalKind(StrEnum):
    """Kinds of held actions the policy knows; each has one executor (bot/approvals/executors.py)."""

    ADMINISTRATOR = "administrator"
    INVITATION_BATCH = "invitation_batch"
    DEVICE_BEYOND_LICENCE = "device_beyond_licence"
    USER_DELETION = "user_deletion"

    @property
    def label(self) -> str:
        return {
            ApprovalKind.ADMINISTRATOR: "Create an Administrator",
            ApprovalKind.INVITATION_BATCH: "Send a large invitation batch",
            ApprovalKind.DEVICE_BEYOND_LICENCE: "Enroll a device beyond the licence",
            ApprovalKind.USER_DELETION: "Delete a backup user",
        }[self]


def approvals_enabled(settings: Settings) -> bool:
    return settings.approvals_channel is not None


def needs_approval(settings: Settings, kind: str, **facts: Any) -> bool:
    """Whether this action must wait for an approver.

    Facts by kind: `administrator`: role (the new user's Role or its value); `invitation_batch`:
    invitees (int); `device_beyond_licence`: additional_licences (int, what the device adds);
    `user_deletion`: none (APPROVAL_DELETIONS decides).
    """
    if not approvals_enabled(settings):
        return False
    match ApprovalKind(kind):
        case ApprovalKind.ADMINISTRATOR:
            return settings.approval_administrators and str(facts["role"]) == "administrator"
        case ApprovalKind.INVITATION_BATCH:
            return int(facts["invitees"]) > settings.approval_batch_size
        case ApprovalKind.DEVICE_BEYOND_LICENCE:
            return settings.approval_devices_beyond_licence and int(facts["additional_licences"]) > 0
        case ApprovalKind.USER_DELETION:
            return settings.approval_deletions


@dataclass(frozen=True)
class SentForApproval:
    """An action held for approval, as its requester is told."""

    summary: str
