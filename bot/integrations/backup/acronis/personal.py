"""The Backup service and its quotas on an account's personal tenant.

Per-account offering items are documented only for `backup_user`: giving that role "will
automatically enable the backup service ... for the account, and will also set the same quotas
for the account as the ones set for the tenant" (developer guide, "Enabling the backup service
for a user in a customer tenant"). An account with another role (`company_admin`,
`backup_admin`, `readonly_admin`) gets nothing by itself, so deskops enables what it needs the way
Acronis's WHMCS module does before it sets quotas: the service first
(`Api::enableApplicationForTenantsChain`: `GET /tenants/{id}/applications`, then
`POST /applications/{application_id}/bindings/tenants/{id}`), then the offering items with
status 1 and their quotas in one `PUT /tenants/{id}/offering_items`
(`Api::updateOfferingItemsForTenantsChain`). The personal tenant's parent is the customer tenant,
which offers the items already; deskops never changes what a customer is offered.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.integrations.backup.acronis import catalog
from bot.integrations.backup.acronis.client import AcronisClient, AcronisError
from bot.integrations.backup.acronis.notifications import level_of
from bot.integrations.backup.acronis.quotas import (
    enabled,
    is_backup_storage,
    plan_quotas,
    quotas_held,
    storage_item,
)
from bot.integrations.backup.acronis.roles import Grant, backup_role_of
from bot.integrations.backup.port import PlatformBackupSettings, PlatformBackupState, PlatformError

log = logging.getLogger(__name__)

# How often a versioned write (offering items) is re-read and repeated after a conflict.
CONFLICT_ATTEMPTS = 3
# 409: another writer changed the object; 426: stale quota version (Acronis KB 71376).
CONFLICT_STATUSES = frozenset({409, 426})
LOCAL_PREFIX = "local-"


def _linked_subscription(settings: PlatformBackupSettings) -> str:
    subscription = settings.subscription_provider_id
    if not subscription or subscription.startswith(LOCAL_PREFIX):
        raise PlatformError(
            f"the subscription “{settings.subscription_name}” is not linked to Acronis: "
            "run `deskops customers sync`",
            transient=False,
        )
    return subscription


def enable_services(client: AcronisClient, tenant_id: str, application_ids: set[str]) -> None:
    """Bind the services to the tenant unless they are bound already."""
    if not application_ids:
        return
    body = client.get(f"/tenants/{tenant_id}/applications", what="reading the account's services")
    bound = {str(i) for i in (body.get("items", []) if isinstance(body, dict) else [])}
    for application_id in sorted(application_ids - bound):
        client.request(
            "POST",
            f"/applications/{application_id}/bindings/tenants/{tenant_id}",
            what="enabling the Backup service for the account",
        )


def set_quotas(client: AcronisClient, user: dict[str, Any], settings: PlatformBackupSettings) -> None:
    subscription = _linked_subscription(settings)
    personal = user.get("personal_tenant_id")
    if not personal:
        raise PlatformError(
            "Acronis gave the account no personal tenant, which carries its quotas", transient=False
        )
    what = f"setting its quotas on “{settings.subscription_name}”"
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        items = catalog.offering_items(client, str(personal), what="reading the account's quotas")
        storage = storage_item(items, subscription)
        if storage is None:
            offered = any(enabled(i) and is_backup_storage(i) for i in items)
            raise PlatformError(
                f"the subscription “{settings.subscription_name}” is not offered to this customer "
                + ("on Acronis any more (run `deskops customers sync`)" if offered else "on Acronis"),
                transient=False,
            )
        plan = plan_quotas(items, settings.quotas, infra_id=subscription, edition=storage.get("edition"))
        if plan.not_offered:
            log.warning(
                "%s: %s quota not set: the customer's offering on Acronis has no such item",
                user.get("login"),
                ", ".join(plan.not_offered),
            )
        if not plan.changes:
            return
        enable_services(client, str(personal), plan.applications)
        try:
            client.put(f"/tenants/{personal}/offering_items", {"offering_items": plan.changes}, what=what)
            return
        except AcronisError as error:
            if error.status not in CONFLICT_STATUSES or attempt == CONFLICT_ATTEMPTS:
                raise
            log.info("quotas of %s changed meanwhile on Acronis; reading them again", user.get("login"))


def backup_state(
    client: AcronisClient, user: dict[str, Any], grants: list[Grant]
) -> PlatformBackupState | None:
    """The Backup service an account has (an account made in the portal, found by its login): its
    Backup role, the backup storage enabled on its personal tenant as the subscription, the quotas
    there and the level its notifications amount to. None without a Backup role or storage."""
    role = backup_role_of(grants)
    personal = user.get("personal_tenant_id")
    if role is None or not personal:
        return None
    items = catalog.offering_items(client, str(personal), what="reading the account's quotas")
    storage = next((i for i in items if enabled(i) and is_backup_storage(i)), None)
    if storage is None:
        return None
    infra_id = str(storage["infra_id"])
    return PlatformBackupState(
        subscription_provider_id=infra_id,
        notification_level=level_of(str(n) for n in user.get("notifications") or []),
        backup_role=role,
        quotas=quotas_held(items, infra_id=infra_id, edition=storage.get("edition")),
    )
