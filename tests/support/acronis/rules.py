"""The rules the Acronis emulator enforces on requests, each with the reference it comes from.

The emulator is strict on purpose: a request that the references do not show working is
refused, so a provider that only passes against a lenient emulator fails here first.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from typing import Any

# Developer guide, "Creating a user account": a login is at least 3 characters of ASCII letters,
# digits and . @ _ - + : ! # $ % ^ * = { } ' ` / ? (sanitised and trimmed of whitespace).
LOGIN = re.compile(r"[A-Za-z0-9.@_\-+:!#$%^*={}'`/?]{3,}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Developer guide, "Modifying the user account roles" (and the python examples'
# create_user_for_customer_activate_assign_backup_user_role.py, the WHMCS module's
# TenantManager::updateUserRoles with ApiInterface::NULL_UUID): every policy PUT carries the zero
# UUID as `id` and `issuer_id` and `version` 0; the platform gives it its own id and version.
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
POLICY_KEYS = frozenset({"id", "issuer_id", "tenant_id", "trustee_id", "trustee_type", "role_id", "version"})
# What one offering item of PUT /tenants/{id}/offering_items may carry: the WHMCS module's
# Api::updateOfferingItemsForTenantsChain and the Go sample connector's OfferingItemTenantPut both
# send application_id, name, status, infra_id and quota {value, overage, version}, nothing else.
OFFERING_ITEM_KEYS = frozenset({"application_id", "name", "status", "infra_id", "quota"})
QUOTA_KEYS = frozenset({"value", "overage", "version"})
# Go sample connector, UserGetRequest: "Maximum of 100 uuids".
MAX_UUIDS = 100


class Refused(Exception):
    """A request the platform answers with 400; the text is its message."""


def policy_problem(entry: Any, *, user_id: str, user_tenant: str, offered: set[str]) -> str | None:
    """Why one access policy of a PUT /users/{id}/access_policies is refused, or None."""
    if not isinstance(entry, dict):
        return "an access policy must be an object"
    extra = set(entry) - POLICY_KEYS
    if extra:  # created_at, updated_at, resource, ... are the server's, not the client's
        return f"access policy: {', '.join(sorted(extra))} cannot be set"
    missing = POLICY_KEYS - set(entry)
    if missing:
        return f"access policy: {', '.join(sorted(missing))} is required"
    if entry["id"] != ZERO_UUID or entry["issuer_id"] != ZERO_UUID or entry["version"] != 0:
        return "access policy: id and issuer_id must be the zero UUID and version 0"
    if entry["trustee_type"] != "user" or entry["trustee_id"] != user_id:
        return "access policy: trustee must be this user"
    if entry["tenant_id"] != user_tenant:
        return "access policy: tenant_id must be the user's tenant"
    # The WHMCS module reads what a tenant offers from GET /tenants/{id}/applications/roles; a
    # role id that is not there (e.g. `cyber_admin`, in no reference) does not exist for it.
    if entry["role_id"] not in offered:
        return f"access policy: role {entry['role_id']} is not available in this tenant"
    return None


def offering_item_problem(entry: Any) -> str | None:
    """Why one item of a PUT /tenants/{id}/offering_items is refused (shape only), or None."""
    if not isinstance(entry, dict):
        return "an offering item must be an object"
    extra = set(entry) - OFFERING_ITEM_KEYS
    if extra:
        return f"offering item {entry.get('name')}: {', '.join(sorted(extra))} cannot be set"
    if not isinstance(entry.get("application_id"), str) or not isinstance(entry.get("name"), str):
        return "offering item: application_id and name are required"
    if entry.get("status", 1) not in (0, 1):
        return f"offering item {entry['name']}: status must be 0 or 1"
    quota = entry.get("quota")
    if quota is not None and (not isinstance(quota, dict) or set(quota) - QUOTA_KEYS):
        return f"offering item {entry['name']}: quota holds value, overage and version only"
    return None


# --- paging ---------------------------------------------------------------------------------
# Developer guide, "Pagination": a list answer holds at most `limit` items and, when more follow,
# `"paging": {"cursors": {"after": "<token>"}}`; the next page is asked for with `after` (URL
# encoded, with `limit`). The token encodes the query (Go sample connector, UserGetRequest.After:
# "The cursor encodes all the filtering and sorting arguments ... only cursor should be
# provided"), so the emulator reads the filters from the token and ignores them beside it.


def encode_cursor(path: str, query: dict[str, str], offset: int) -> str:
    raw = json.dumps({"p": path, "q": query, "o": offset}, sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(token: str, path: str) -> tuple[dict[str, str], int] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(data, dict) or data.get("p") != path or not isinstance(data.get("o"), int):
        return None
    return dict(data.get("q") or {}), int(data["o"])


def page(
    path: str,
    query: dict[str, str],
    list_items: Callable[[dict[str, str]], list[Any]],
    *,
    page_size: int,
) -> tuple[int, dict[str, Any]]:
    """(status, body) of one page of a list endpoint."""
    offset = 0
    if "after" in query:
        decoded = decode_cursor(query["after"], path)
        if decoded is None:
            return 400, {"error": {"code": 400, "message": "The paging cursor is not valid"}}
        query, offset = decoded
    try:
        limit = int(query.get("limit", page_size))
    except ValueError:
        return 400, {"error": {"code": 400, "message": "limit must be a number"}}
    size = max(1, min(limit, page_size))
    try:
        found = list_items(query)
    except Refused as refused:
        return 400, {"error": {"code": 400, "message": str(refused)}}
    body: dict[str, Any] = {"items": found[offset : offset + size], "paging": {"cursors": {}}}
    if offset + size < len(found):
        clean = {k: v for k, v in query.items() if k != "after"}
        body["paging"]["cursors"]["after"] = encode_cursor(path, clean, offset + size)
    return 200, body
