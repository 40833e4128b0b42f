"""Roles as Acronis access policies.

`PUT /users/{user_id}/access_policies` with `{"items": [policy, …]}` replaces the account's
roles. A policy is `{"id", "issuer_id", "tenant_id", "trustee_id", "trustee_type": "user",
"role_id", "version"}`; `id` and `issuer_id` are "an internal value. Must be any valid UUID
string" (developer guide, "Modifying the roles of a user account"; the python examples send
`00000000-0000-0000-0000-000000000000` and `version` 0 for a new policy,
`users/create_user_for_customer_activate_assign_backup_user_role.py`).

Roles on a customer tenant (guide, "Managing user account roles"; KB 63015 for `readonly_admin`):
`company_admin` — full access to every service of the customer (our Administrator);
`backup_user` — Cyber Protection, configure backup and recovery of one's own machines (our User);
`cyber_admin` — Cyber Protection administrator; `readonly_admin` — read-only access.
"""

from __future__ import annotations

from typing import Any

from bot.accounts.models import BackupRole, Role

ZERO_UUID = "00000000-0000-0000-0000-000000000000"
COMPANY_ADMIN = "company_admin"
BACKUP_USER = "backup_user"
CYBER_ADMIN = "cyber_admin"
READONLY_ADMIN = "readonly_admin"

ACCOUNT_ROLE = {Role.ADMINISTRATOR: COMPANY_ADMIN, Role.USER: BACKUP_USER}
BACKUP_SERVICE_ROLE = {
    BackupRole.USER: BACKUP_USER,
    BackupRole.ADMINISTRATOR: CYBER_ADMIN,
    BackupRole.READ_ONLY_ADMINISTRATOR: READONLY_ADMIN,
}
# Roles deskops decides; any other policy on the account is kept as it is.
SERVICE_ROLES = frozenset({BACKUP_USER, CYBER_ADMIN, READONLY_ADMIN})
MANAGED_ROLES = SERVICE_ROLES | {COMPANY_ADMIN}


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


def role_ids(policies: list[dict[str, Any]]) -> set[str]:
    return {str(p.get("role_id")) for p in policies}


def _with_roles(
    policies: list[dict[str, Any]], wanted: list[str], *, tenant_id: str, user_id: str
) -> list[dict[str, Any]]:
    kept = [p for p in policies if p.get("role_id") not in MANAGED_ROLES]
    existing = {p.get("role_id"): p for p in policies if p.get("tenant_id") == tenant_id}
    return kept + [
        existing.get(role) or new_policy(role, tenant_id=tenant_id, user_id=user_id) for role in wanted
    ]


def account_role_policies(
    policies: list[dict[str, Any]], role: Role, *, tenant_id: str, user_id: str
) -> list[dict[str, Any]] | None:
    """The policies after giving the account `role`, or None when they already say so.

    An Administrator is `company_admin` (which covers every service). A User gets `backup_user`
    unless it already holds a Backup role, which `service_role_policies` decides."""
    current = role_ids(policies)
    if role is Role.ADMINISTRATOR:
        if current & MANAGED_ROLES == {COMPANY_ADMIN}:
            return None
        return _with_roles(policies, [COMPANY_ADMIN], tenant_id=tenant_id, user_id=user_id)
    service = sorted(current & SERVICE_ROLES)
    if service and COMPANY_ADMIN not in current:
        return None
    return _with_roles(policies, service or [BACKUP_USER], tenant_id=tenant_id, user_id=user_id)


def service_role_policies(
    policies: list[dict[str, Any]], backup_role: BackupRole, *, tenant_id: str, user_id: str
) -> list[dict[str, Any]] | None:
    """The policies after giving a User account its Backup role, or None when nothing changes
    (nothing does for a company administrator: it already has every right)."""
    current = role_ids(policies)
    if COMPANY_ADMIN in current:
        return None
    wanted = BACKUP_SERVICE_ROLE[backup_role]
    if current & MANAGED_ROLES == {wanted}:
        return None
    return _with_roles(policies, [wanted], tenant_id=tenant_id, user_id=user_id)
