"""The Acronis Account Management API v2 endpoints deskops uses, as a Starlette app.

Status codes as documented: 204 free / 409 taken from `check_login`, 400 with
`{"error": {...}}` for bad input, 401 for a missing or expired token, 404 for an object that does
not exist (developer guide, "Status and error codes"), 409 "another object of the same type already
exists", 426 for a stale offering item quota version (KB 71376), 429 with Retry-After and 5xx from
the fault list. The rules each endpoint enforces are in rules.py, with their references.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.acronis.faults import Fault, Faults
from tests.support.acronis.rules import MAX_UUIDS, Refused, offering_item_problem
from tests.support.acronis.state import OfferingItem, PlatformState, RecordedRequest, Tenant
from tests.support.acronis.users import Call, UserEndpoints, error, items

__all__ = ["Call", "EmulatorApp", "error"]


def uuids_of(query: dict[str, str]) -> list[str]:
    found = [u for u in query.get("uuids", "").split(",") if u]
    if len(found) > MAX_UUIDS:
        raise Refused(f"uuids holds at most {MAX_UUIDS} ids")
    return found


class EmulatorApp(UserEndpoints):
    def __init__(self, state: PlatformState, faults: Faults, *, token_lifetime: float) -> None:
        self.state = state
        self.faults = faults
        self.token_lifetime = token_lifetime
        tenant = r"/tenants/(?P<tenant_id>[^/]+)"
        user = r"/users/(?P<user_id>[^/]+)"
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Response], bool]] = [
            ("POST", re.compile(r"/idp/token"), self.issue_token, False),
            ("GET", re.compile(r"/clients/(?P<client_id>[^/]+)"), self.get_client, True),
            ("GET", re.compile(r"/tenants"), self.get_tenants, True),
            ("GET", re.compile(tenant), self.get_tenant, True),
            ("GET", re.compile(tenant + "/children"), self.get_children, True),
            ("GET", re.compile(tenant + "/users"), self.get_tenant_users, True),
            ("GET", re.compile(tenant + "/applications"), self.get_applications, True),
            ("GET", re.compile(tenant + "/applications/roles"), self.get_roles, True),
            (
                "POST",
                re.compile(r"/applications/(?P<application_id>[^/]+)/bindings/tenants/(?P<tenant_id>[^/]+)"),
                self.bind_application,
                True,
            ),
            ("GET", re.compile(tenant + "/offering_items"), self.get_offering, True),
            ("PUT", re.compile(tenant + "/offering_items"), self.put_offering, True),
            ("GET", re.compile(r"/infra"), self.get_infra, True),
            ("GET", re.compile(r"/users/check_login"), self.check_login, True),
            ("GET", re.compile(r"/users"), self.get_users, True),
            ("POST", re.compile(r"/users"), self.post_user, True),
            ("GET", re.compile(user), self.get_user, True),
            ("PUT", re.compile(user), self.put_user, True),
            ("DELETE", re.compile(user), self.delete_user, True),
            ("GET", re.compile(user + "/access_policies"), self.get_policies, True),
            ("PUT", re.compile(user + "/access_policies"), self.put_policies, True),
            ("POST", re.compile(user + "/send-activation-email"), self.send_activation, True),
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
        call = await self._call(request, path)
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
    async def _call(request: Request, path: str) -> Call | None:
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
            path=path,
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

    # --- tenants, applications, storages, offering items ----------------------------------

    def get_tenants(self, call: Call) -> Response:
        def listed(query: dict[str, str]) -> list[Any]:
            return [t.json() for u in uuids_of(query) if (t := self._tenant(u))]

        return self._paged(call, listed)

    def get_tenant(self, call: Call, tenant_id: str) -> Response:
        tenant = self._tenant(tenant_id)
        return JSONResponse(tenant.json()) if tenant else error(404, "Tenant not found")

    def get_children(self, call: Call, tenant_id: str) -> Response:
        if self._tenant(tenant_id) is None:
            return error(404, "Tenant not found")

        def listed(query: dict[str, str]) -> list[Any]:
            children = [
                t for t in self.state.tenants.values() if t.parent_id == tenant_id and t.owner_id is None
            ]
            if query.get("include_details") == "true":
                return [t.json() for t in children]
            return [t.id for t in children]

        return self._paged(call, listed)

    def get_tenant_users(self, call: Call, tenant_id: str) -> Response:
        if self._tenant(tenant_id) is None:
            return error(404, "Tenant not found")
        return self._paged(
            call, lambda _: [a.id for a in self.state.accounts.values() if a.tenant_id == tenant_id]
        )

    def get_applications(self, call: Call, tenant_id: str) -> Response:
        # {"items": [application uuid, ...]} (python examples, disable_all_applications_for_customer.py).
        tenant = self._tenant(tenant_id)
        if tenant is None:
            return error(404, "Tenant not found")
        return JSONResponse({"items": sorted(tenant.applications)})

    def get_roles(self, call: Call, tenant_id: str) -> Response:
        tenant = self._tenant(tenant_id)
        if tenant is None:
            return error(404, "Tenant not found")
        return items(self.state.tenant_roles(tenant))

    def bind_application(self, call: Call, application_id: str, tenant_id: str) -> Response:
        tenant = self._tenant(tenant_id)
        if tenant is None:
            return error(404, "Tenant not found")
        parent = self._tenant(tenant.parent_id or "")
        # A service is enabled for a tenant only when its parent has it: the WHMCS module's
        # Api::enableApplicationForTenantsChain enables it up the chain first.
        if parent is None or application_id not in parent.applications:
            return error(403, "The application is not enabled for the parent tenant")
        tenant.applications.add(application_id)
        return Response(status_code=204)

    def _available(self, tenant: Tenant) -> list[OfferingItem]:
        """The tenant's offering items: its own, and those its parent has enabled that it has not
        taken yet, listed disabled (the WHMCS module's chain logic: an item a tenant lists is
        available to it; status 1 is enabled; an item missing from the list must first be enabled
        for the parent)."""
        own = self.state.offering.get(tenant.id, [])
        if tenant.owner_id is None:  # customers and the partner: what the portal set up
            return own
        keys = {i.key() for i in own}
        parent_items = self.state.offering.get(tenant.parent_id or "", [])
        offered = [i.copy_for(status=0) for i in parent_items if i.status == 1 and i.key() not in keys]
        return own + offered

    def get_offering(self, call: Call, tenant_id: str) -> Response:
        tenant = self._tenant(tenant_id)
        if tenant is None:
            return error(404, "Tenant not found")
        edition = call.query.get("edition", "standard")  # default: legacy standard edition only
        return items(
            [i.json() for i in self._available(tenant) if edition == "*" or i.edition in (edition, None)]
        )

    def put_offering(self, call: Call, tenant_id: str) -> Response:
        tenant = self._tenant(tenant_id)
        if tenant is None:
            return error(404, "Tenant not found")
        wanted = call.body.get("offering_items") if isinstance(call.body, dict) else None
        if not isinstance(wanted, list):
            return error(400, "offering_items is required")
        available = {i.key(): i for i in self._available(tenant)}
        changes = []
        for entry in wanted:
            problem = offering_item_problem(entry)
            if problem:
                return error(400, problem)
            item = available.get((entry["application_id"], entry["name"], entry.get("infra_id")))
            if item is None:
                return error(400, f"Offering item {entry['name']} is not available for the tenant")
            status = int(entry.get("status", 1))
            if status == 1 and item.application_id not in tenant.applications:
                # Services first, then their offering items (WHMCS module, Api::enableApplication...
                # before updateOfferingItemsForTenantsChain).
                return error(400, f"Offering item {entry['name']}: its service is not enabled for the tenant")
            quota = entry.get("quota")
            current = item.quota_version if item.status == 1 else 0
            if quota is not None and quota.get("version") != current:
                return error(426, "Upgrade Required: the quota version is not the current one")
            changes.append((item, status, quota))
        own = self.state.offering.setdefault(tenant.id, [])
        for item, status, quota in changes:
            if not any(i is item for i in own):
                own.append(item)
            item.status = status
            if quota is not None:
                if quota.get("value") is None:  # "resets the version to 0 and the overage to None"
                    item.quota_value, item.quota_overage, item.quota_version = None, None, 0
                else:
                    item.quota_value, item.quota_overage = quota.get("value"), quota.get("overage")
                    item.quota_version += 1
        return items([item.json() for item, _, _ in changes])

    def get_infra(self, call: Call) -> Response:
        try:
            wanted = uuids_of(call.query)
        except Refused as refused:
            return error(400, str(refused))
        return items([s.json() for u in wanted if (s := self.state.storages.get(u))])
