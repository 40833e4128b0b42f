"""The Acronis Account Management API v2 endpoints deskops uses, as a Starlette app.

Status codes as documented: 204 free / 409 taken from `check_login`, 400 with
`{"error": {...}}` for bad input, 401 for a missing or expired token, 409 "another object of the
same type already exists", 426 for a stale offering item quota version (KB 71376), 429 with
Retry-After and 5xx from the fault list.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.acronis.faults import Fault, Faults
from tests.support.acronis.state import (
    CUSTOMER_ROLES,
    DEFAULT_NOTIFICATIONS,
    NOTIFICATIONS,
    PROTECTION_ROLES,
    Account,
    ActivationEmail,
    PlatformState,
    Policy,
    RecordedRequest,
    Tenant,
    new_id,
)

LOGIN = re.compile(r"[A-Za-z0-9.@_\-+:!#$%^*={}'`/?]{3,}")  # guide, "Creating a user account"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ZERO_UUID = "00000000-0000-0000-0000-000000000000"


@dataclass
class Call:
    query: dict[str, str]
    body: Any
    form: dict[str, str]
    authorization: str


def error(status: int, message: str, code: Any = None) -> JSONResponse:
    body = {
        "error": {
            "code": code or status,
            "message": message,
            "details": {},
            "domain": "PlatformAccountServer",
        }
    }
    return JSONResponse(body, status_code=status)


def items(values: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"items": values})


def _uuids(call: Call) -> list[str]:
    return [u for u in call.query.get("uuids", "").split(",") if u]


class EmulatorApp:
    def __init__(self, state: PlatformState, faults: Faults, *, token_lifetime: float) -> None:
        self.state = state
        self.faults = faults
        self.token_lifetime = token_lifetime
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Response], bool]] = [
            ("POST", re.compile(r"/idp/token"), self.issue_token, False),
            ("GET", re.compile(r"/clients/(?P<client_id>[^/]+)"), self.get_client, True),
            ("GET", re.compile(r"/tenants"), self.get_tenants, True),
            ("GET", re.compile(r"/tenants/(?P<tenant_id>[^/]+)"), self.get_tenant, True),
            ("GET", re.compile(r"/tenants/(?P<tenant_id>[^/]+)/children"), self.get_children, True),
            ("GET", re.compile(r"/tenants/(?P<tenant_id>[^/]+)/users"), self.get_tenant_users, True),
            ("GET", re.compile(r"/tenants/(?P<tenant_id>[^/]+)/offering_items"), self.get_offering, True),
            ("PUT", re.compile(r"/tenants/(?P<tenant_id>[^/]+)/offering_items"), self.put_offering, True),
            ("GET", re.compile(r"/infra"), self.get_infra, True),
            ("GET", re.compile(r"/users/check_login"), self.check_login, True),
            ("GET", re.compile(r"/users"), self.get_users, True),
            ("POST", re.compile(r"/users"), self.post_user, True),
            ("GET", re.compile(r"/users/(?P<user_id>[^/]+)"), self.get_user, True),
            ("PUT", re.compile(r"/users/(?P<user_id>[^/]+)"), self.put_user, True),
            ("GET", re.compile(r"/users/(?P<user_id>[^/]+)/access_policies"), self.get_policies, True),
            ("PUT", re.compile(r"/users/(?P<user_id>[^/]+)/access_policies"), self.put_policies, True),
            (
                "POST",
                re.compile(r"/users/(?P<user_id>[^/]+)/send-activation-email"),
                self.send_activation,
                True,
            ),
        ]

    def asgi(self) -> Starlette:
        methods = ["GET", "POST", "PUT", "DELETE"]
        return Starlette(routes=[Route("/api/2/{path:path}", self.endpoint, methods=methods)])

    # --- dispatch -------------------------------------------------------------------------

    async def endpoint(self, request: Request) -> Response:
        method, path = request.method, "/" + request.path_params["path"].rstrip("/")
        response = await self._answer(request, method, path)
        with self.state.lock:
            self.state.requests.append(RecordedRequest(method, path, response.status_code))
        return response

    async def _answer(self, request: Request, method: str, path: str) -> Response:
        route = None
        for route_method, pattern, handler, needs_token in self.routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                route = (handler, needs_token, match.groupdict())
                break
        if route is None:
            known = any(pattern.fullmatch(path) for _, pattern, _, _ in self.routes)
            return error(405 if known else 404, f"{method} {path} is not an endpoint of this API")
        handler, needs_token, params = route
        fault = self.faults.take(method, path)
        if fault is not None and not fault.apply_first and fault.status is not None:
            await asyncio.sleep(fault.delay)
            return self._fault_response(fault)
        call = await self._call(request)
        if call is None:
            return error(400, "The request body is not valid JSON")
        if needs_token and not self._token_ok(call.authorization):
            return error(401, "The access token is expired or invalid", code="unauthorized")
        with self.state.lock:
            response = handler(call, **params)
        if fault is not None:
            await asyncio.sleep(fault.delay)
            if fault.status is not None:
                return self._fault_response(fault)
        return response

    @staticmethod
    def _fault_response(fault: Fault) -> Response:
        response = error(fault.status or 500, fault.message)
        if fault.retry_after is not None:
            response.headers["Retry-After"] = fault.retry_after
        return response

    @staticmethod
    async def _call(request: Request) -> Call | None:
        raw = await request.body()
        body: Any = None
        form: dict[str, str] = {}
        content_type = request.headers.get("content-type", "")
        if raw and "json" in content_type:
            try:
                body = json.loads(raw)
            except ValueError:
                return None
        elif raw and "x-www-form-urlencoded" in content_type:
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        return Call(
            query=dict(request.query_params),
            body=body,
            form=form,
            authorization=request.headers.get("authorization", ""),
        )

    def _token_ok(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        with self.state.lock:
            expires = self.state.tokens.get(token)
        return scheme.lower() == "bearer" and expires is not None and expires > time.time()

    # --- identity -------------------------------------------------------------------------

    def issue_token(self, call: Call) -> Response:
        scheme, _, encoded = call.authorization.partition(" ")
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            client_id = secret = ""
        if scheme.lower() != "basic" or (client_id, secret) != (
            self.state.client_id,
            self.state.client_secret,
        ):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Client authentication failed"},
                status_code=401,
            )
        if call.form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        token = secrets.token_urlsafe(32)
        expires_on = time.time() + self.token_lifetime
        self.state.tokens[token] = expires_on
        self.state.tokens_issued += 1
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_on": int(expires_on),
                "id_token": "e30.e30.",
            }
        )

    def get_client(self, call: Call, client_id: str) -> Response:
        if client_id != self.state.client_id:
            return error(404, "Client not found")
        return JSONResponse(
            {
                "client_id": client_id,
                "tenant_id": self.state.partner_id,
                "type": "api_client",
                "status": "enabled",
                "token_endpoint_auth_method": "client_secret_basic",
                "data": {"client_name": "deskops"},
            }
        )

    # --- tenants, storages, offering items ------------------------------------------------

    def _tenant(self, tenant_id: str) -> Tenant | None:
        return self.state.tenants.get(tenant_id)

    def get_tenants(self, call: Call) -> Response:
        return items([t.json() for u in _uuids(call) if (t := self._tenant(u))])

    def get_tenant(self, call: Call, tenant_id: str) -> Response:
        tenant = self._tenant(tenant_id)
        return JSONResponse(tenant.json()) if tenant else error(404, "Tenant not found")

    def get_children(self, call: Call, tenant_id: str) -> Response:
        if self._tenant(tenant_id) is None:
            return error(404, "Tenant not found")
        children = [t for t in self.state.tenants.values() if t.parent_id == tenant_id and t.owner_id is None]
        if call.query.get("include_details") == "true":
            return items([t.json() for t in children])
        return JSONResponse({"items": [t.id for t in children]})

    def get_tenant_users(self, call: Call, tenant_id: str) -> Response:
        if self._tenant(tenant_id) is None:
            return error(404, "Tenant not found")
        return JSONResponse(
            {"items": [a.id for a in self.state.accounts.values() if a.tenant_id == tenant_id]}
        )

    def get_offering(self, call: Call, tenant_id: str) -> Response:
        if self._tenant(tenant_id) is None:
            return error(404, "Tenant not found")
        edition = call.query.get("edition", "standard")  # default: legacy standard edition only
        return items(
            [
                i.json()
                for i in self.state.offering.get(tenant_id, [])
                if edition == "*" or i.edition in (edition, None)
            ]
        )

    def put_offering(self, call: Call, tenant_id: str) -> Response:
        if self._tenant(tenant_id) is None:
            return error(404, "Tenant not found")
        wanted = call.body.get("offering_items") if isinstance(call.body, dict) else None
        if not isinstance(wanted, list):
            return error(400, "offering_items is required")
        current = {i.key(): i for i in self.state.offering.get(tenant_id, [])}
        changes = []
        for entry in wanted:
            key = (entry.get("application_id"), entry.get("name"), entry.get("infra_id"))
            item = current.get(key)  # type: ignore[arg-type]
            if item is None:
                return error(400, f"Offering item {entry.get('name')} is not available for the tenant")
            quota = entry.get("quota")
            if quota is not None and quota.get("version") != item.quota_version:
                return error(426, "Upgrade Required: the quota version is not the current one")
            changes.append((item, entry, quota))
        for item, entry, quota in changes:
            item.status = int(entry.get("status", item.status))
            if quota is not None:
                if quota.get("value") is None:  # "resets the version to 0 and the overage to None"
                    item.quota_value, item.quota_overage, item.quota_version = None, None, 0
                else:
                    item.quota_value, item.quota_overage = quota.get("value"), quota.get("overage")
                    item.quota_version += 1
        return items([item.json() for item, _, _ in changes])

    def get_infra(self, call: Call) -> Response:
        return items([s.json() for u in _uuids(call) if (s := self.state.storages.get(u))])

    # --- accounts -------------------------------------------------------------------------

    def check_login(self, call: Call) -> Response:
        login = call.query.get("username", "")
        if not LOGIN.fullmatch(login):
            return error(400, "The login is not valid", code=1010)
        if self.state.account_by_login(login) is not None:
            return error(409, "The login is already taken", code=1007)
        return Response(status_code=204)

    def get_users(self, call: Call) -> Response:
        return items([a.json() for u in _uuids(call) if (a := self.state.accounts.get(u))])

    def post_user(self, call: Call) -> Response:
        body = call.body if isinstance(call.body, dict) else {}
        tenant = self._tenant(str(body.get("tenant_id", "")))
        login = body.get("login")
        contact = body.get("contact")
        if tenant is None or tenant.kind not in ("customer", "partner", "folder", "unit"):
            return error(400, "tenant_id does not name a tenant")
        if not isinstance(login, str) or not LOGIN.fullmatch(login):
            return error(400, "The login is not valid", code=1010)
        if not isinstance(contact, dict) or not contact.get("email"):
            return error(400, "contact.email is required")
        notifications = body.get("notifications", DEFAULT_NOTIFICATIONS)
        if not set(notifications) <= NOTIFICATIONS:
            return error(400, "Unknown notification type")
        if self.state.account_by_login(login) is not None:
            return error(409, "User with this login already exists", code=1007)
        user_id = new_id()
        personal = self.state.add_tenant(login, kind="unit", parent_id=tenant.id)
        personal.owner_id = user_id
        account = Account(
            id=user_id,
            tenant_id=tenant.id,
            login=login,
            contact=dict(contact),
            personal_tenant_id=personal.id,
            notifications=list(notifications),
        )
        self.state.accounts[user_id] = account
        self.state.policies[user_id] = []
        return JSONResponse(account.json())

    def get_user(self, call: Call, user_id: str) -> Response:
        account = self.state.accounts.get(user_id)
        return JSONResponse(account.json()) if account else error(404, "User not found")

    def put_user(self, call: Call, user_id: str) -> Response:
        account = self.state.accounts.get(user_id)
        if account is None:
            return error(404, "User not found")
        body = call.body if isinstance(call.body, dict) else {}
        if body.get("version") != account.version:
            return error(409, "The user was changed by someone else: read it again", code=1013)
        if "notifications" in body:
            if not set(body["notifications"]) <= NOTIFICATIONS:
                return error(400, "Unknown notification type")
            account.notifications = list(body["notifications"])
        if isinstance(body.get("contact"), dict):
            account.contact.update(body["contact"])
        account.version += 1
        return JSONResponse(account.json())

    def get_policies(self, call: Call, user_id: str) -> Response:
        if user_id not in self.state.accounts:
            return error(404, "User not found")
        return items([p.json() for p in self.state.policies[user_id]])

    def put_policies(self, call: Call, user_id: str) -> Response:
        account = self.state.accounts.get(user_id)
        if account is None:
            return error(404, "User not found")
        wanted = call.body.get("items") if isinstance(call.body, dict) else None
        if not isinstance(wanted, list):
            return error(400, "items is required")
        policies = []
        for entry in wanted:
            problem = self._policy_problem(entry, account)
            if problem:
                return error(400, problem)
            fresh = entry["id"] == ZERO_UUID
            policies.append(
                Policy(
                    id=new_id() if fresh else entry["id"],
                    issuer_id=self.state.partner_id
                    if entry["issuer_id"] == ZERO_UUID
                    else entry["issuer_id"],
                    tenant_id=entry["tenant_id"],
                    trustee_id=user_id,
                    role_id=entry["role_id"],
                    version=1 if fresh else int(entry["version"]),
                )
            )
        self.state.policies[user_id] = policies
        personal_items = self.state.offering.setdefault(account.personal_tenant_id, [])
        if {p.role_id for p in policies} & PROTECTION_ROLES and not personal_items:
            # "This will automatically enable the backup service … for the account, and will also
            # set the same quotas for the account as the ones set for the tenant."
            personal_items.extend(i.copy_for() for i in self.state.offering.get(account.tenant_id, []))
        return items([p.json() for p in policies])

    @staticmethod
    def _policy_problem(entry: Any, account: Account) -> str | None:
        if not isinstance(entry, dict):
            return "an access policy must be an object"
        for key in ("id", "issuer_id", "tenant_id", "trustee_id", "trustee_type", "role_id", "version"):
            if key not in entry:
                return f"access policy: {key} is required"
        if not UUID.fullmatch(str(entry["id"])) or not UUID.fullmatch(str(entry["issuer_id"])):
            return "access policy: id and issuer_id must be UUID strings"
        if entry["trustee_type"] != "user" or entry["trustee_id"] != account.id:
            return "access policy: trustee must be this user"
        if entry["tenant_id"] != account.tenant_id:
            return "access policy: tenant_id must be the user's tenant"
        if entry["role_id"] not in CUSTOMER_ROLES:
            return f"access policy: role {entry['role_id']} is not available in a customer tenant"
        return None

    def send_activation(self, call: Call, user_id: str) -> Response:
        account = self.state.accounts.get(user_id)
        if account is None:
            return error(404, "User not found")
        if account.activated:
            return error(400, "The user is already activated")
        self.state.activation_emails.append(
            ActivationEmail(user_id=user_id, login=account.login, to=str(account.contact.get("email")))
        )
        return Response(status_code=204)
