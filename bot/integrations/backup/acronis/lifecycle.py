"""Disabling, enabling and deleting Acronis accounts (Account Management API v2).

- Disable / enable: `PUT /users/{user_id}` with `{"enabled": false|true, "version": <current>}`
  (guide, "Disabling/enabling a user account").
- Contact: `PUT /users/{user_id}` with `{"contact": {...}, "version": <current>}` (guide, "Changing a
  user account email"); the login (sign-in name) is not changed: no reference shows it changing.
- Delete: "Disable the user account", then `DELETE /users/{user_id}?version=<current>` (guide,
  "Deleting a user account"; `version` is required). The account and its data are gone for good,
  so deskops only calls it once the helpdesk (and the approval policy) said so.

Both are versioned writes: the account is read first and the write repeated when someone else
changed it in between (409), as the notifications are.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.integrations.backup.acronis.accounts import gone
from bot.integrations.backup.acronis.client import AcronisClient, AcronisError
from bot.integrations.backup.acronis.personal import CONFLICT_ATTEMPTS, CONFLICT_STATUSES
from bot.integrations.backup.port import PlatformError

log = logging.getLogger(__name__)


def _read(client: AcronisClient, user_id: str) -> dict[str, Any]:
    try:
        body = client.get(f"/users/{user_id}", what="reading the account")
    except AcronisError as error:
        raise gone(error, user_id) from None
    if not isinstance(body, dict):
        raise PlatformError("Acronis answered the account look-up with something that is not an account")
    return body


def set_enabled(client: AcronisClient, user_id: str, *, enabled: bool) -> None:
    what = "enabling the account" if enabled else "disabling the account"
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        user = _read(client, user_id)
        if (user.get("enabled") is not False) is enabled:
            return
        try:
            client.put(f"/users/{user_id}", {"enabled": enabled, "version": user.get("version")}, what=what)
            return
        except AcronisError as error:
            if error.status == 404:
                raise gone(error, str(user.get("login") or user_id)) from None
            if error.status not in CONFLICT_STATUSES or attempt == CONFLICT_ATTEMPTS:
                raise
            log.info("account %s changed meanwhile on Acronis; reading it again", user_id)


def update_contact(client: AcronisClient, user_id: str, contact: dict[str, Any]) -> None:
    """The account's contact as deskops has it now (names, mail address, phone, address)."""
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        user = _read(client, user_id)
        current = user.get("contact") if isinstance(user.get("contact"), dict) else {}
        assert isinstance(current, dict)
        if all(current.get(key) == value for key, value in contact.items()):
            return
        try:
            client.put(
                f"/users/{user_id}",
                {"contact": contact, "version": user.get("version")},
                what="updating the account's contact details",
            )
            return
        except AcronisError as error:
            if error.status == 404:
                raise gone(error, str(user.get("login") or user_id)) from None
            if error.status not in CONFLICT_STATUSES or attempt == CONFLICT_ATTEMPTS:
                raise
            log.info("account %s changed meanwhile on Acronis; reading it again", user_id)


def delete_account(client: AcronisClient, user_id: str) -> None:
    """Disable, then delete. An account already gone counts as deleted (a retry after a lost answer)."""
    try:
        set_enabled(client, user_id, enabled=False)
    except PlatformError as error:
        if not error.transient and "no longer exists" in str(error):
            return
        raise
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            user = _read(client, user_id)
        except PlatformError as error:
            if not error.transient and "no longer exists" in str(error):
                return
            raise
        try:
            client.request(
                "DELETE",
                f"/users/{user_id}",
                what="deleting the account",
                params={"version": str(user.get("version"))},
            )
            return
        except AcronisError as error:
            if error.status == 404:
                return
            if error.status not in CONFLICT_STATUSES or attempt == CONFLICT_ATTEMPTS:
                raise
            log.info("account %s changed meanwhile on Acronis; reading it again", user_id)
