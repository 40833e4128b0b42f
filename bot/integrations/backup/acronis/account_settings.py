"""One account's roles and notifications on Acronis, read and written so that a repeated call
does no harm: roles are compared with what the platform offers and has, notifications are
written with the account's current `version` and read again after a conflicting change."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.integrations.backup.acronis.accounts import gone
from bot.integrations.backup.acronis.client import AcronisClient, AcronisError
from bot.integrations.backup.acronis.notifications import same_notifications
from bot.integrations.backup.acronis.personal import CONFLICT_ATTEMPTS, CONFLICT_STATUSES
from bot.integrations.backup.acronis.roles import Grant, grants_of, offered_roles, policy_items
from bot.integrations.backup.port import PlatformError

log = logging.getLogger(__name__)


def read_user(client: AcronisClient, user_id: str, login: str) -> dict[str, Any]:
    try:
        body = client.get(f"/users/{user_id}", what="reading the account")
    except AcronisError as error:
        raise gone(error, login) from None
    if not isinstance(body, dict):
        raise PlatformError("Acronis answered the account look-up with something that is not an account")
    return body


def read_grants(client: AcronisClient, user_id: str, login: str) -> list[Grant]:
    try:
        body = client.get(f"/users/{user_id}/access_policies", what="reading the account's roles")
    except AcronisError as error:
        raise gone(error, login) from None
    items = body.get("items", []) if isinstance(body, dict) else []
    return grants_of([item for item in items if isinstance(item, dict)])


def put_grants(client: AcronisClient, user_id: str, login: str, grants: list[Grant], *, what: str) -> None:
    offered: dict[str, set[str]] = {}
    for tenant_id in {g.tenant_id for g in grants}:
        answer = client.get(f"/tenants/{tenant_id}/applications/roles", what="reading the roles")
        offered[tenant_id] = offered_roles(answer)
    missing = sorted({g.role_id for g in grants if g.role_id not in offered[g.tenant_id]})
    if missing:
        raise PlatformError(
            f"Acronis offers no role {', '.join(missing)} in the customer's tenant "
            "(is the Cyber Protection service enabled for this customer?)",
            transient=False,
        )
    try:
        client.put(
            f"/users/{user_id}/access_policies",
            {"items": policy_items(grants, user_id=user_id)},
            what=what,
        )
    except AcronisError as error:
        raise gone(error, login) from None


def put_notifications(
    client: AcronisClient, user_id: str, login: str, change: Callable[[list[str]], list[str]], *, what: str
) -> None:
    # PUT /users/{id} with the current `version` (optimistic concurrency; python samples
    # how_to_update_user.py, Acronis WHMCS module TenantManager::updateUser).
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        user = read_user(client, user_id, login)
        current = [str(n) for n in user.get("notifications") or []]
        wanted = change(current)
        if same_notifications(current, wanted):
            return
        try:
            client.put(
                f"/users/{user_id}", {"notifications": wanted, "version": user.get("version")}, what=what
            )
            return
        except AcronisError as error:
            if error.status == 404:
                raise gone(error, login) from None
            if error.status not in CONFLICT_STATUSES or attempt == CONFLICT_ATTEMPTS:
                raise
            log.info("notifications of %s changed meanwhile on Acronis; reading them again", login)
