"""Reading the partner's customers and what they are offered.

- The API client's own tenant (the partner): `GET /clients/{client_id}` → `tenant_id`
  (acronis-cyber-platform-powershell-examples: "Get Root tenant_id for the API Client").
- Its customers: `GET /tenants/{tenant_id}/children?include_details=true` → `{"items": [tenant,
  …]}` (developer guide, "Fetching information about child tenants"); `folder` tenants are
  walked into, `customer` tenants collected (tenant `kind`: partner, folder, customer, unit).
- A customer's offering: `GET /tenants/{tenant_id}/offering_items?edition=*` (`*` = every
  edition, as Acronis's WHMCS module asks; without it only the legacy standard edition is
  listed) → `{"items": [offering item, …]}`.
- Storage names: `GET /infra?uuids=a,b` → `{"items": [storage, …]}` (developer guide,
  "Fetching storages"; a storage has `id`, `name`, `capabilities`, …).

The platform has no object called "subscription". What a customer is offered for backup is a
set of enabled offering items; the part of it a person names and a customer can have several
of is the backup storage (an offering item of type `infra` on a storage with its own `name`,
e.g. a partner-hosted storage). deskops therefore lists one subscription per backup storage
enabled for the customer, named as the storage is named on the platform, with the storage's
UUID as the subscription's provider id.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.integrations.backup.acronis.client import AcronisClient, AcronisError
from bot.integrations.backup.acronis.quotas import enabled, is_backup_storage
from bot.integrations.backup.port import PlatformCustomer, PlatformError, PlatformSubscription

FOLDER = "folder"
CUSTOMER = "customer"
LOCAL_PREFIX = "local-"
UUID_BATCH = 50


@dataclass(frozen=True)
class StorageOffer:
    infra_id: str
    edition: str | None


def partner_tenant_id(client: AcronisClient) -> str:
    info = client.get(f"/clients/{client.client_id}", what="reading the API client")
    tenant_id = info.get("tenant_id") if isinstance(info, dict) else None
    if not tenant_id:
        raise PlatformError("Acronis did not say which tenant the API client belongs to", transient=False)
    return str(tenant_id)


def tenant(
    client: AcronisClient, tenant_id: str, *, what: str = "reading the partner tenant"
) -> dict[str, Any]:
    body = client.get(f"/tenants/{tenant_id}", what=what)
    return body if isinstance(body, dict) else {}


def _children(client: AcronisClient, tenant_id: str) -> list[dict[str, Any]]:
    items = client.get_all(
        f"/tenants/{tenant_id}/children",
        what="listing the customer tenants",
        params={"include_details": "true"},
    )
    details = [item for item in items if isinstance(item, dict)]
    bare_ids = [str(item) for item in items if isinstance(item, str)]
    if bare_ids:  # an answer without details: fetch them in batches (GET /tenants?uuids=…)
        details.extend(_batched(client, "/tenants", bare_ids, what="reading the customer tenants"))
    return details


def customer_tenants(client: AcronisClient, partner_id: str) -> list[dict[str, Any]]:
    """Enabled customer tenants under the partner, folders included, in the platform's order."""
    found: list[dict[str, Any]] = []
    queue: deque[str] = deque([partner_id])
    seen = {partner_id}
    while queue:
        for child in _children(client, queue.popleft()):
            child_id = str(child.get("id", ""))
            if not child_id or child_id in seen:
                continue
            seen.add(child_id)
            if child.get("kind") == FOLDER:
                queue.append(child_id)
            elif child.get("kind") == CUSTOMER and child.get("enabled", True):
                found.append(child)
    return found


def offering_items(client: AcronisClient, tenant_id: str, *, what: str) -> list[dict[str, Any]]:
    body = client.get(f"/tenants/{tenant_id}/offering_items", what=what, params={"edition": "*"})
    items = body.get("items", []) if isinstance(body, dict) else []
    return [item for item in items if isinstance(item, dict)]


def storage_offers(items: Iterable[dict[str, Any]]) -> list[StorageOffer]:
    """The enabled backup storages among a tenant's offering items, one per storage."""
    offers: dict[str, StorageOffer] = {}
    for item in items:
        if enabled(item) and is_backup_storage(item):
            infra_id = str(item["infra_id"])
            offers.setdefault(infra_id, StorageOffer(infra_id=infra_id, edition=item.get("edition")))
    return list(offers.values())


def storage_names(client: AcronisClient, infra_ids: Iterable[str]) -> dict[str, str]:
    wanted = list(dict.fromkeys(infra_ids))
    names: dict[str, str] = {}
    for storage in _batched(client, "/infra", wanted, what="reading the storage names"):
        if storage.get("id") and storage.get("name"):
            names[str(storage["id"])] = str(storage["name"])
    return names


def _batched(client: AcronisClient, path: str, ids: list[str], *, what: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), UUID_BATCH):
        batch = ",".join(ids[start : start + UUID_BATCH])
        items = client.get_all(path, what=what, params={"uuids": batch})
        found.extend(item for item in items if isinstance(item, dict))
    return found


def users_by_uuid(client: AcronisClient, ids: list[str]) -> list[dict[str, Any]]:
    """`GET /users?uuids=…` in batches of at most 100 (Go sample connector, `UserGetRequest`; Acronis
    PHP client `UsersApi::getUsers($uuids)`); an id that is not answered no longer exists."""
    return _batched(client, "/users", ids, what="reading the accounts")


def users_in_tenant(client: AcronisClient, tenant_id: str) -> list[dict[str, Any]]:
    """`GET /users?tenant_id=…`: the accounts of one tenant, paged (Go sample connector,
    `UserGetRequest.TenantID`, "a filter to fetch users for the specified tenant")."""
    items = client.get_all("/users", what="listing the customer's accounts", params={"tenant_id": tenant_id})
    return [item for item in items if isinstance(item, dict)]


def customers(client: AcronisClient) -> list[PlatformCustomer]:
    """Every enabled customer tenant under the partner with its backup storages as subscriptions."""
    partner_id = partner_tenant_id(client)
    tenants = customer_tenants(client, partner_id)
    offers = {
        str(t["id"]): storage_offers(
            offering_items(client, str(t["id"]), what=f"reading the offering of {t.get('name')}")
        )
        for t in tenants
    }
    names = storage_names(client, [o.infra_id for found in offers.values() for o in found])
    return [
        PlatformCustomer(
            provider_id=str(t["id"]),
            name=str(t.get("name") or t["id"]),
            subscriptions=[
                PlatformSubscription(provider_id=o.infra_id, name=names.get(o.infra_id, o.infra_id))
                for o in offers[str(t["id"])]
            ],
            # "The default language of notifications, reports, and the software that is used
            # within the tenant" (developer guide, "Managing tenants").
            language=str(t["language"]) if t.get("language") else None,
        )
        for t in tenants
    ]


def check_line(client: AcronisClient) -> str:
    """One line for `deskops doctor`: the partner tenant and how many customers it has."""
    partner_id = partner_tenant_id(client)
    partner = tenant(client, partner_id)
    count = len(customer_tenants(client, partner_id))
    name = partner.get("name") or "?"
    return f'acronis: {client.url} partner "{name}" (tenant {partner_id}), {count} customers'


def customer_tenant(client: AcronisClient, provider_id: str) -> str:
    """The customer's tenant id, after checking that it is a customer tenant (the WHMCS module
    gives roles by tenant kind; `company_admin` and per-account quotas exist only there)."""
    if not provider_id or provider_id.startswith(LOCAL_PREFIX):
        raise PlatformError(
            "this customer is not linked to an Acronis customer tenant: run `deskops customers sync`",
            transient=False,
        )
    try:
        found = tenant(client, provider_id, what="reading the customer's tenant")
    except AcronisError as error:
        if error.status == 404:
            raise PlatformError(
                "the customer's Acronis tenant no longer exists: run `deskops customers sync`",
                transient=False,
            ) from None
        raise
    if found.get("kind") != CUSTOMER:
        raise PlatformError(
            f"the Acronis tenant “{found.get('name')}” is a {found.get('kind')} tenant, not a customer "
            "tenant: link the customer to its customer tenant (`deskops customers sync`)",
            transient=False,
        )
    return provider_id
