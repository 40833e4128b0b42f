"""Notification level → the user's `notifications` list on Acronis.

A user account carries `notifications`, an array of subscription names (Account Management
API, "JSON object structure of a user account"). The values the API accepts are `maintenance`,
`quota`, `reports`, `backup_error`, `backup_warning`, `backup_info`, `backup_daily_report` and
`backup_critical` (the `UserNotification` enum of Acronis's generated PHP client, vendored in
acronis/acronis-cyber-cloud-whmcs `ci-lib-php-cloud-client/lib/Model/Common/Types/UserNotification.php`).

deskops owns only the backup ones. A new account subscribes to the platform's default
(`PLATFORM_DEFAULT_NOTIFICATIONS`); deskops switches those off with a follow-up PUT right after
creating it, and the level then gives it exactly that level's list, so *None* is `[]`. On a change
the backup ones are replaced and `quota`, `reports` and `maintenance` stay as the user had them
(e.g. switched on in the portal).
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.integrations.backup.port import NotificationLevel

BACKUP_ERROR = "backup_error"
BACKUP_CRITICAL = "backup_critical"
BACKUP_WARNING = "backup_warning"
BACKUP_INFO = "backup_info"
BACKUP_DAILY_REPORT = "backup_daily_report"

# Every notification the level decides; anything else on the account is left alone.
BACKUP_NOTIFICATIONS: tuple[str, ...] = (
    BACKUP_ERROR,
    BACKUP_CRITICAL,
    BACKUP_WARNING,
    BACKUP_INFO,
    BACKUP_DAILY_REPORT,
)

# What a new account subscribes to when POST /users says nothing (the guide's "Creating a user
# account" answer). No reference shows `notifications` in a POST /users body taking effect (the
# python and PowerShell examples and the WHMCS module leave it out), so deskops does not rely on it.
PLATFORM_DEFAULT_NOTIFICATIONS: tuple[str, ...] = ("quota", "reports", "backup_daily_report")

LEVEL_NOTIFICATIONS: dict[NotificationLevel, tuple[str, ...]] = {
    NotificationLevel.NONE: (),
    NotificationLevel.ERRORS: (BACKUP_ERROR, BACKUP_CRITICAL),
    NotificationLevel.ERRORS_AND_WARNINGS: (BACKUP_ERROR, BACKUP_CRITICAL, BACKUP_WARNING),
    NotificationLevel.ALL: (BACKUP_ERROR, BACKUP_CRITICAL, BACKUP_WARNING, BACKUP_INFO, BACKUP_DAILY_REPORT),
}


def merge_notifications(current: Iterable[str], level: NotificationLevel) -> list[str]:
    """The user's list with the backup notifications replaced by those of `level`.

    Order is kept for what stays, so an unchanged level gives an equal list (and no write).
    """
    kept = [name for name in current if name not in BACKUP_NOTIFICATIONS]
    merged = list(dict.fromkeys([*kept, *LEVEL_NOTIFICATIONS[level]]))
    return merged


def same_notifications(left: Iterable[str], right: Iterable[str]) -> bool:
    return set(left) == set(right)


def level_of(notifications: Iterable[str]) -> NotificationLevel:
    """The level an account's notifications amount to (the widest one any of them belongs to), for
    an account made in the portal: `backup_info`/`backup_daily_report` are All, `backup_warning`
    Errors and warnings, `backup_error`/`backup_critical` Errors only, none of them None."""
    on = set(notifications)
    for level in (NotificationLevel.ALL, NotificationLevel.ERRORS_AND_WARNINGS, NotificationLevel.ERRORS):
        only_here = set(LEVEL_NOTIFICATIONS[level]) - set(_narrower(level))
        if on & only_here:
            return level
    return NotificationLevel.NONE


def _narrower(level: NotificationLevel) -> tuple[str, ...]:
    order = list(LEVEL_NOTIFICATIONS)
    index = order.index(level)
    return LEVEL_NOTIFICATIONS[order[index - 1]] if index > 0 else ()
