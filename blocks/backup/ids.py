"""Ids of the /backup surface. Input block ids are the domain field names (bot.accounts.forms.Field)."""

from __future__ import annotations

from enum import StrEnum


class CallbackId(StrEnum):
    ADD_USER = "backup.add_user"
    ADD_USER_BACKUP_SETTINGS = "backup.add_user.backup_settings"
    ASSIGN_SERVICE = "backup.assign_service"
    USER_SETTINGS = "backup.user_settings"
    DELETE_USER = "backup.delete_user"
    EDIT_USER = "backup.edit_user"


class ActionId(StrEnum):
    # Inside the Add New User modal: changes that reshape the modal.
    ROLE_CHANGED = "backup.add_user.role"
    SEPARATE_EMAIL_TOGGLED = "backup.add_user.separate_notification_email"
    SERVICES_CHANGED = "backup.add_user.services"
    # The type-ahead Customer field (external select) of the /backup modals.
    CUSTOMER_SEARCH = "backup.customer.search"
    # Buttons on the user card.
    ACTIVATE = "backup.user.activate"
    ASSIGN_SERVICE = "backup.user.assign_service"
    RETRY_PROVISIONING = "backup.user.retry_provisioning"
    DISABLE = "backup.user.disable"
    ENABLE = "backup.user.enable"
    # The users list.
    USERS_PAGE = "backup.users.page"
    # /backup find's pages.
    FIND_PAGE = "backup.find.page"


class Option(StrEnum):
    BACKUP = "backup"
    SEPARATE_EMAIL = "separate"
