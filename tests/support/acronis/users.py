"""The account endpoints of the Acronis emulator: sign-in names, users, roles, activation.

Shapes follow the developer guide ("Managing user accounts", "JSON object structure") and
Acronis's own clients (acronis-cyber-cloud-whmcs, the Go sample connector); each rule is in
rules.py with its reference.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response

from tests.support.acronis.rules import LOGIN, MAX_UUIDS, Refused, page, policy_problem
from tests.support.acronis.state import (
    DEFAULT_NOTIFICATIONS,
    LANGUAGE,
    NOTIFICATIONS,
    ActivationEmail,
    PlatformState,
    Policy,
    Tenant,
    new_id,
)


@dataclass
class Call:
    path: str
    query: dict[str, str]
    body: Any
    form: dict[str, str]
    authorization: str


def error(status: int, message: str, code: Any = None) -> JSONResponse:
    body: dict[str, Any] = {
        "error": {
            "code": code or status,
            "message": message,
            "details": {},
            "domain": "PlatformAccountServer",
        }
    }
    return JSONResponse(body, status_code=status)


def items(values: list[Any]) -> JSONResponse:
    return JSONResponse({"items": values})


USER_NOT_FOUND = "User not found"


class UserEndpoints:
    state: PlatformState

    def _tenant(self, tenant_id: str) -> Tenant | None:
        return self.state.tenants.get(tenant_id)

    def _paged(self, call: Call, list_items: Callable[[dict[str, str]], list[Any]]) -> Response:
        status, body = page(call.path, call.query, list_items, page_size=self.state.page_size)
        return JSONResponse(body, status_code=status)

    def check_login(self, call: Call) -> Response:
        login = call.query.get("username", "")
        if not LOGIN.fullmatch(login):
            return error(400, "The login is not valid", code=1010)
        if self.state.account_by_login(login) is not None:
            return error(409, "The login is already taken", code=1007)
        return Response(status_code=204)

    def get_users(self, call: Call) -> Response:
        # GET /users?uuids=… or ?tenant_id=… (Go sample connector, UserGetRequest: the two are
        # mutually exclusive; at most 100 uuids), paged.
        def listed(query: dict[str, str]) -> list[Any]:
            wanted = [u for u in query.get("uuids", "").split(",") if u]
            tenant_id = query.get("tenant_id")
            if wanted and tenant_id:
                raise Refused("uuids and tenant_id cannot be used together")
            if len(wanted) > MAX_UUIDS:
                raise Refused(f"uuids holds at most {MAX_UUIDS} ids")
            if tenant_id:
                return [a.json() for a in self.state.accounts.values() if a.tenant_id == tenant_id]
            return [a.json() for u in wanted if (a := self.state.accounts.get(u))]

        return self._paged(call, listed)

    def post_user(self, call: Call) -> Response:
        body = call.body if isinstance(call.body, dict) else {}
        tenant = self._tenant(str(body.get("tenant_id", "")))
        login = body.get("login")
        contact = body.get("contact")
        language = body.get("language", "en")
        # A user account is created in a tenant (guide "Creating a user account"); a personal tenant
        # belongs to its account and holds no other (guide "Managing user accounts").
        if tenant is None or tenant.owner_id is not None:
            return error(400, "tenant_id does not name a tenant")
        if not isinstance(login, str) or not LOGIN.fullmatch(login):
            return error(400, "The login is not valid", code=1010)
        # contact.email: "used for account activation and service notifications" (guide, contact
        # object); every reference sends it (python examples, WHMCS validateClientDetails).
        if not isinstance(contact, dict) or not contact.get("email"):
            return error(400, "contact.email is required")
        if not isinstance(language, str) or not re.fullmatch(LANGUAGE, language):
            return error(400, "language is not a supported language code")
        # A login is unique on the platform: check_login answers 409 for it (guide "Creating a user
        # account"), and so does a second POST (guide "Status and error codes": 409).
        if self.state.account_by_login(login) is not None:
            return error(409, "User with this login already exists", code=1007)
        account = self.state.add_account(tenant, login, contact, language=language)
        return JSONResponse(account.json())

    def get_user(self, call: Call, user_id: str) -> Response:
        account = self.state.accounts.get(user_id)
        return JSONResponse(account.json()) if account else error(404, USER_NOT_FOUND)

    def put_user(self, call: Call, user_id: str) -> Response:
        account = self.state.accounts.get(user_id)
        if account is None:
            return error(404, USER_NOT_FOUND)
        body = call.body if isinstance(call.body, dict) else {}
        # PUT /users/{id} carries the version read (python examples how_to_update_user.py, WHMCS
        # TenantManager::updateUser setVersion); a stale one is a conflict.
        if body.get("version") != account.version:
            return error(409, "The user was changed by someone else: read it again", code=1013)
        if "notifications" in body:
            if not isinstance(body["notifications"], list) or not set(body["notifications"]) <= NOTIFICATIONS:
                return error(400, "Unknown notification type")
            account.notifications = list(body["notifications"])
        if "enabled" in body:
            # "enabled: Flag, that disables or enables user account in the platform" (guide,
            # "Disabling/enabling a user account": PUT /users/{user_id} with enabled and version).
            if not isinstance(body["enabled"], bool):
                return error(400, "enabled must be true or false")
            account.enabled = body["enabled"]
        if isinstance(body.get("contact"), dict):
            account.contact.update(body["contact"])
        account.version += 1
        return JSONResponse(account.json())

    def delete_user(self, call: Call, user_id: str) -> Response:
        """Guide, "Deleting a user account": "3. Disable the user account", then DELETE
        /users/{user_id} with the `version` query parameter ("Required: Yes")."""
        account = self.state.accounts.get(user_id)
        if account is None:
            return error(404, USER_NOT_FOUND)
        version = call.query.get("version")
        if version is None or not version.isdigit():
            return error(400, "version is required")
        if int(version) != account.version:
            return error(409, "The user was changed by someone else: read it again", code=1013)
        if account.enabled:
            return error(400, "Disable the user account before deleting it")
        del self.state.accounts[user_id]
        self.state.policies.pop(user_id, None)
        return Response(status_code=204)

    def get_policies(self, call: Call, user_id: str) -> Response:
        if user_id not in self.state.accounts:
            return error(404, USER_NOT_FOUND)
        return items([p.json() for p in self.state.policies[user_id]])

    def put_policies(self, call: Call, user_id: str) -> Response:
        account = self.state.accounts.get(user_id)
        if account is None:
            return error(404, USER_NOT_FOUND)
        wanted = call.body.get("items") if isinstance(call.body, dict) else None
        if not isinstance(wanted, list):
            return error(400, "items is required")
        tenant = self.state.tenants[account.tenant_id]
        offered = {r["role"] for r in self.state.tenant_roles(tenant)}
        for entry in wanted:
            problem = policy_problem(entry, user_id=user_id, user_tenant=account.tenant_id, offered=offered)
            if problem:
                return error(400, problem)
        policies = [
            Policy(
                id=new_id(),
                issuer_id=self.state.partner_id,
                tenant_id=entry["tenant_id"],
                trustee_id=user_id,
                role_id=entry["role_id"],
            )
            for entry in wanted
        ]
        self.state.policies[user_id] = policies
        if "backup_user" in {p.role_id for p in policies}:
            self.state.give_backup(account)
        return items([p.json() for p in policies])

    def send_activation(self, call: Call, user_id: str) -> Response:
        account = self.state.accounts.get(user_id)
        if account is None:
            return error(404, USER_NOT_FOUND)
        # Activation is for accounts not activated yet (guide "Activating a user account"; its
        # status is the account's `activated` flag).
        if account.activated:
            return error(400, "The user is already activated")
        # contact.email: "An email address that will be used for account activation and service
        # notifications" (guide, "JSON object structure of a user account contact").
        self.state.activation_emails.append(
            ActivationEmail(user_id=user_id, login=account.login, to=str(account.contact.get("email")))
        )
        return Response(status_code=204)


__all__ = ["DEFAULT_NOTIFICATIONS", "Call", "UserEndpoints", "error", "items"]
