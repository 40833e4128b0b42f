"""Roles as Acronis access policies.

`PUT /users/{user_id}/access_policies` with `{"items": [policy, …]}` replaces the account's
roles. Every policy sent is a new one: `id` and `issuer_id` the zero UUID and `version` 0, with
`tenant_id`, `trustee_id`, `trustee_type: "user"` and `role_id` (developer guide, "Modifying the
user account roles"; python examples `users/create_user_for_customer_activate_assign_backup_user_role.py`;
the WHMCS module rebuilds the whole list that way every time, `TenantManager::updateUserRoles`).
What the platform answers back (its own ids, versions, `created_at`, `updated_at`, `resource`) is
never sent again: deskops reads the (tenant, role) pairs and rebuilds the list from them.

Role ids are those of Acronis's role enumerations (the generated PHP client's `Role` type in
acronis-cyber-cloud-whmcs, the Go sample connector's `RoleIDEnum`): on a customer tenant
`company_admin` — full access to every service (our Administrator); `backup_user` — Cyber
Protection for one's own machines (our User); `backup_admin` — Cyber Protection administrator;
`readonly_admin` — read-only administrator. Which of them a tenant offers is read from
`GET /tenants/{id}/applications/roles` (`{"items": [{"role", "application_id", "is_default",
"type"}]}`), as the WHMCS module does, and a role it does not offer is refused before anything is
written. deskops does not grant every `is_default` role the way the WHMCS module does for its
users: that set spans services (Acronis's Postman sample lists `sync_share_user` and
`notary_admin` beside `backup_user`), and deskops gives Backup only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.integrations.backup.port import BackupRole, Role

ZERO_UUID = "00000000-0000-0000-0000-000000000000"
COMPANY_ADMIN = "company_admin"
BACKUP_USER = "backup_user"
BACKUP_ADMIN = "backup_admin"
READONLY_ADMIN = "readonly_admin"

ACCOUNT_ROLE = {Role.ADMINISTRATOR: COMPANY_ADMIN, Role.USER: BACKUP_USER}
BACKUP_SERVICE_ROLE = {
    BackupRole.USER: BACKUP_USER,
    BackupRole.ADMINISTRATOR: BACKUP_ADMIN,
    BackupRole.READ_ONLY_ADMINISTRATOR: READONLY_ADMIN,
}
# Roles deskops decides; any other role on the account is kept as it is.
SERVICE_ROLES = frozenset({BACKUP_USER, BACKUP_ADMIN, READONLY_ADMIN})
MANAGED_ROLES = SERVICE_ROLES | {COMPANY_ADMIN}


@dataclass(frozen=True)
class Grant:
    """One role of an account in one tenant: all a policy says that deskops keeps."""

    tenant_id: str
    role_id: str


def grants_of(policies: list[dict[str, Any]]) -> list[Grant]:
    """The (tenant, role) pairs of the policies the platform answered."""
    return [
        Grant(tenant_id=str(p.get("tenant_id")), role_id=str(p.get("role_id")))
        for p in policies
        if p.get("role_id")
    ]


def new_policy(role_id: str, *, tenant_id: str, user_id: str) -> dict[str, Any]:
    return {
        "id": ZERO_UUID,
        "issuer_id": ZERO_UUID,
        "tenant_id": tenant_id,
        "trustee_id": user_id,
        "trustee_type": "user",
        "role_id": role_id,
        "version": 0,
    }


def policy_items(grants: list[Grant], *, user_id: str) -> list[dict[str, Any]]:
    """The body's `items` for these grants, every one a new policy in the documented shape."""
    unique = list(dict.fromkeys(grants))
    return [new_policy(g.role_id, tenant_id=g.tenant_id, user_id=user_id) for g in unique]


def role_ids(grants: list[Grant]) -> set[str]:
    return {g.role_id for g in grants}


def _with_roles(grants: list[Grant], wanted: list[str], *, tenant_id: str) -> list[Grant]:
    kept = [g for g in grants if g.role_id not in MANAGED_ROLES]
    return kept + [Grant(tenant_id=tenant_id, role_id=role) for role in wanted]


def account_role_grants(grants: list[Grant], role: Role, *, tenant_id: str) -> list[Grant] | None:
    """The grants after giving the account `role`, or None when they already say so.

    An Administrator is `company_admin` (which covers every service). A User gets `backup_user`
    unless it already holds a Backup role, which `service_role_grants` decides."""
    current = role_ids(grants)
    if role is Role.ADMINISTRATOR:
        if current & MANAGED_ROLES == {COMPANY_ADMIN}:
            return None
        return _with_roles(grants, [COMPANY_ADMIN], tenant_id=tenant_id)
    service = sorted(current & SERVICE_ROLES)
    if service and COMPANY_ADMIN not in current:
        return None
    return _with_roles(grants, service or [BACKUP_USER], tenant_id=tenant_id)


def service_role_grants(
    grants: list[Grant], backup_role: BackupRole, *, tenant_id: str
) -> list[Grant] | None:
    """The grants after giving a User account its Backup role, or None when nothing changes
    (nothing does for a company administrator: it already has every right)."""
    current = role_ids(grants)
    if COMPANY_ADMIN in current:
        return None
    wanted = BACKUP_SERVICE_ROLE[backup_role]
    if current & MANAGED_ROLES == {wanted}:
        return None
    return _with_roles(grants, [wanted], tenant_id=tenant_id)


def offered_roles(answer: Any) -> set[str]:
    """Role ids in a `GET /tenants/{id}/applications/roles` answer."""
    items = answer.get("items", []) if isinstance(answer, dict) else []
    return {str(item["role"]) for item in items if isinstance(item, dict) and item.get("role")}


def account_role(grants: list[Grant]) -> Role:
    """deskops' Role of an account found on the platform: Administrator when it is `company_admin`."""
    return Role.ADMINISTRATOR if COMPANY_ADMIN in role_ids(grants) else Role.USER


def backup_role_of(grants: list[Grant]) -> BackupRole | None:
    """deskops' Backup role of an account found on the platform; None when it has no Backup role.
    A company administrator has every right, which deskops shows as Administrator."""
    current = role_ids(grants)
    if current & {COMPANY_ADMIN, BACKUP_ADMIN}:
        return BackupRole.ADMINISTRATOR
    if READONLY_ADMIN in current:
        return BackupRole.READ_ONLY_ADMINISTRATOR
    if BACKUP_USER in current:
        return BackupRole.USER
    return None
