"""Approvals: actions the policy holds until an approver decides.

The API other domains use:

    from bot.approvals import ApprovalKind, Executors, needs_approval, request_approval
"""

from bot.approvals.executors import Executors
from bot.approvals.models import ApprovalRequest, ApprovalState
from bot.approvals.policy import ApprovalKind, needs_approval
from bot.approvals.service import request_approval

__all__ = [
    "ApprovalKind",
    "ApprovalRequest",
    "ApprovalState",
    "Executors",
    "needs_approval",
    "request_approval",
]
