"""Per-user quotas → offering items of the user's personal tenant.

What Acronis documents ("Changing quotas", Account Management API guide): "The user account
quotas are controlled via user account personal tenants." Every account created in a customer
tenant has a `personal_tenant_id`; `GET /tenants/{personal_tenant_id}/offering_items` lists the
offering items the account has (enabled, status 1: given with `backup_user`, "this will ... set
the same quotas for the account as the ones set for the tenant") and those its customer offers
it (status 0; see personal.py for how they are enabled), and `PUT` on the same path with
`{"offering_items": [...]}` enables them and changes their `quota` (`value` = soft quota,
`overage` = how far it may be exceeded; `null` = unlimited). The `quota.version` sent must be the current one, or the
platform answers 426 (Acronis KB 71376). Storage is counted in binary bytes (1 GB = 1073741824).

Offering item names carry the edition as a prefix — `workstations` (legacy standard),
`adv_workstations`, `pg_workstations` (per gigabyte), `pw_workstations` (per workload), … — see
the offering item catalogue in acronis/acronis-cyber-cloud-whmcs `meta/offering_items.php`.

| deskops quota        | offering item (any edition prefix) | unit   |
|----------------------|------------------------------------|--------|
| storage (GB)         | `storage` (type infra)             | bytes  |
| workstations         | `workstations`                     | count  |
| servers              | `servers`                          | count  |
| virtual machines     | `vms`                              | count  |
| mobile devices       | `mobiles`                          | count  |
| Microsoft 365 seats  | `o365_seats`                       | count  |

A quota deskops sets is hard: `value` = the number, `overage` = 0, so the platform stops the
service at the limit instead of only warning. An empty quota removes the limit (`null`/`null`).
Items the account does not have (the customer's edition does not offer them, e.g. Microsoft 365
seats in the legacy standard edition) cannot carry a quota and are reported back as not offered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.integrations.backup.port import Quotas

GIB = 1024**3
STORAGE = "storage"

# Edition prefixes of Cyber Protection offering item names; "" is the legacy standard edition.
EDITION_PREFIXES: tuple[str, ...] = ("", "adv_", "dre_", "p_", "p_adv_", "p_dre_", "pg_", "pw_")

# deskops quota field → (offering item base name, label used in messages)
QUOTA_ITEMS: dict[str, tuple[str, str]] = {
    "storage_gb": (STORAGE, "storage"),
    "workstations": ("workstations", "workstations"),
    "servers": ("servers", "servers"),
    "virtual_machines": ("vms", "virtual machines"),
    "mobile_devices": ("mobiles", "mobile devices"),
    "m365_seats": ("o365_seats", "Microsoft 365 seats"),
}
BASE_NAMES = frozenset(base for base, _ in QUOTA_ITEMS.values())


def base_name(item_name: str) -> str | None:
    """`pg_workstations` → `workstations`; None for anything deskops does not set quotas on
    (`dr_storage`, `fc_storage`, `pw_p_ess_servers`, …)."""
    for prefix in EDITION_PREFIXES:
        if item_name.startswith(prefix) and item_name[len(prefix) :] in BASE_NAMES:
            return item_name[len(prefix) :]
    return None


def enabled(item: dict[str, Any]) -> bool:
    return item.get("status") == 1


def is_backup_storage(item: dict[str, Any]) -> bool:
    return base_name(str(item.get("name", ""))) == STORAGE and bool(item.get("infra_id"))


def storage_item(items: list[dict[str, Any]], infra_id: str) -> dict[str, Any] | None:
    """The backup storage offering item on the storage `infra_id` (enabled or only offered)."""
    return next((i for i in items if is_backup_storage(i) and i.get("infra_id") == infra_id), None)


def wanted_quota(field_name: str, value: int | None) -> tuple[float | None, float | None]:
    """(value, overage) for the platform; None/None is unlimited."""
    if value is None:
        return None, None
    amount = value * GIB if field_name == "storage_gb" else value
    return float(amount), 0.0


@dataclass
class QuotaPlan:
    changes: list[dict[str, Any]] = field(default_factory=list)
    # Services (application ids) the changes enable items of: they are enabled for the tenant first.
    applications: set[str] = field(default_factory=set)
    # Labels of quotas the helpdesk set that no offering item of the account can carry.
    not_offered: list[str] = field(default_factory=list)


def item_change(
    item: dict[str, Any], value: float | None, overage: float | None, version: Any
) -> dict[str, Any]:
    """One item of a PUT /tenants/{id}/offering_items in the shape Acronis's own clients send:
    application_id, name, status, infra_id and quota {value, overage, version}, nothing else (WHMCS
    module `Api::updateOfferingItemsForTenantsChain`; Go sample connector `OfferingItemTenantPut`)."""
    change: dict[str, Any] = {
        "application_id": item.get("application_id"),
        "name": item.get("name"),
        "status": 1,
        "quota": {"value": value, "overage": overage, "version": version},
    }
    if item.get("infra_id"):
        change["infra_id"] = item["infra_id"]
    return change


def plan_quotas(
    items: list[dict[str, Any]], quotas: Quotas, *, infra_id: str, edition: str | None
) -> QuotaPlan:
    """The offering items to PUT so the account has the service and its quotas equal `quotas`.

    `items` is what the personal tenant lists: enabled items and, disabled, those its customer
    offers. Storage applies to the subscription's storage (`infra_id`); device and seat quotas to
    the items of the same edition as that storage. Disabled ones are enabled (an account whose
    role is not `backup_user` gets no items by itself, guide "Enabling the backup service for a
    user in a customer tenant"); enabled items already right are left out.
    """
    plan = QuotaPlan()
    for field_name, (base, label) in QUOTA_ITEMS.items():
        value = getattr(quotas, field_name)
        targets = [
            item
            for item in items
            if base_name(str(item.get("name", ""))) == base
            and (item.get("infra_id") == infra_id if base == STORAGE else item.get("edition") == edition)
        ]
        if not targets:
            if value is not None:
                plan.not_offered.append(label)
            continue
        want_value, want_overage = wanted_quota(field_name, value)
        for item in targets:
            quota = (item.get("quota") or {}) if enabled(item) else {}
            if (
                enabled(item)
                and _same(quota.get("value"), want_value)
                and _same(quota.get("overage"), want_overage)
            ):
                continue
            if not enabled(item):
                plan.applications.add(str(item.get("application_id")))
            plan.changes.append(item_change(item, want_value, want_overage, quota.get("version", 0)))
    return plan


def _same(current: Any, wanted: float | None) -> bool:
    if current is None or wanted is None:
        return current is None and wanted is None
    try:
        return float(current) == wanted
    except (TypeError, ValueError):
        return False


def quotas_held(items: list[dict[str, Any]], *, infra_id: str, edition: str | None) -> Quotas:
    """The quotas an account's enabled items say, in deskops' units (the reverse of plan_quotas):
    storage in whole GB on `infra_id`, devices and seats of the same edition; None is unlimited."""
    values: dict[str, int | None] = {}
    for field_name, (base, _) in QUOTA_ITEMS.items():
        item = next(
            (
                i
                for i in items
                if enabled(i)
                and base_name(str(i.get("name", ""))) == base
                and (i.get("infra_id") == infra_id if base == STORAGE else i.get("edition") == edition)
            ),
            None,
        )
        value = ((item or {}).get("quota") or {}).get("value")
        if isinstance(value, int | float) and not isinstance(value, bool):
            values[field_name] = int(value // GIB) if field_name == "storage_gb" else int(value)
        else:
            values[field_name] = None
    return Quotas(**values)
