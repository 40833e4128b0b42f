"""Ids of the /enroll surface. Input block ids are the domain field names (bot.enrollment.fields.Field)."""

from __future__ import annotations

from enum import StrEnum


class CallbackId(StrEnum):
    INVITE = "enroll.invite"
    EDIT_EMAIL = "enroll.invite.edit_email"
    EXTEND = "enroll.invitation.extend_days"


class BlockId(StrEnum):
    HEADER = "header"
    SEARCH = "search"
    MATCH_MODE = "match_mode"
    SEARCH_ACTIONS = "search_actions"


class ActionId(StrEnum):
    # Inside the Send Enrollment Invitation modal.
    SEARCH_TEXT = "enroll.invite.search_text"
    MATCH_MODE = "enroll.invite.match_mode"
    SEARCH = "enroll.invite.search"
    ADD_USER = "enroll.invite.add_user"
    ADD_GROUP = "enroll.invite.add_group"
    REMOVE = "enroll.invite.remove"
    REMOVE_ALL = "enroll.invite.remove_all"
    EDIT_EMAIL = "enroll.invite.edit_email"
    PAGE = "enroll.invite.page"
    DAYS = "enroll.invite.days"
    DEVICES = "enroll.invite.devices"
    PLATFORM = "enroll.invite.platform"
    LANGUAGE = "enroll.invite.language"
    EMAIL = "enroll.invite.email"
    # On invitations, wherever they are shown (/enroll status, reminders, App Home).
    RESEND = "enroll.invitation.resend"
    EXTEND = "enroll.invitation.extend"
    REVOKE = "enroll.invitation.revoke"
    ANOTHER_DEVICE = "enroll.invitation.another_device"
    # /enroll status's pages: `<STATUS_PAGE>.people.next`, `<STATUS_PAGE>.invitations.previous`, …
    STATUS_PAGE = "enroll.status.page"
    # On a batch's progress card.
    RETRY_BATCH = "enroll.batch.retry"
