"""An Acronis Cyber Protect Cloud data center for tests: the Account Management API v2 endpoints
deskops uses, on a free loopback port, with state a test can read and faults it can inject.

    def test_x(acronis_emulator: AcronisEmulator) -> None:
        acronis_emulator.fail("PUT", r"/users/[^/]+/access_policies", status=500)
        ...
        account = acronis_emulator.account("john.doe@example.com")
        assert account.roles == {"backup_user"} and account.quota("storage") == 250 * GIB

The `acronis_emulator` fixture starts one seeded with the partner "Example MSP" and the three
sample customers (their subscriptions are backup storages named PAYG, Capped Storage and
Microsoft Office 365).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from console.server import BackgroundServer
from tests.support.acronis.faults import Fault, Faults
from tests.support.acronis.server import EmulatorApp
from tests.support.acronis.state import (
    GIB,
    ActivationEmail,
    PlatformState,
    Policy,
    RecordedRequest,
    new_id,
    seed_sample,
)

__all__ = ["GIB", "AccountView", "AcronisEmulator", "acronis_emulator"]

CLIENT_ID = "0b5f2d2e-7f7c-4d5e-9a55-3c4a2b1d9e01"
CLIENT_SECRET = "emulator-client-secret-2f9c1b7e"  # a test double's credential


@dataclass(frozen=True)
class AccountView:
    """An account as the emulator holds it, for assertions."""

    id: str
    tenant: str
    login: str
    contact: dict[str, Any]
    notifications: list[str]
    language: str
    activated: bool
    enabled: bool
    roles: set[str]
    policies: list[dict[str, Any]]
    offering: list[dict[str, Any]]

    def quota(self, base: str, *, storage: str | None = None) -> tuple[float | None, float | None]:
        """(value, overage) of the account's offering item `pg_<base>` (on `storage`, for storage)."""
        for item in self.offering:
            if item["name"] == f"pg_{base}" and (storage is None or item.get("infra_id") == storage):
                quota = item.get("quota") or {}
                return quota.get("value"), quota.get("overage")
        raise AssertionError(f"the account has no offering item pg_{base}")


class AcronisEmulator:
    def __init__(self, *, token_lifetime: float = 7200.0, seed: bool = True, port: int = 0) -> None:
        self.state = PlatformState(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        self.faults = Faults()
        if seed:
            seed_sample(self.state)
        self._app = EmulatorApp(self.state, self.faults, token_lifetime=token_lifetime)
        self._server = BackgroundServer(self._app.asgi(), port=port)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> AcronisEmulator:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    @property
    def url(self) -> str:
        """The data center URL (what ACRONIS_URL holds); the API is at <url>/api/2."""
        return self._server.base_url

    @property
    def client_id(self) -> str:
        return self.state.client_id

    @property
    def client_secret(self) -> str:
        return self.state.client_secret

    def settings(self) -> dict[str, Any]:
        """deskops settings (lower-case names) that point BACKUP_PROVIDER=acronis at this emulator."""
        return {
            "backup_provider": "acronis",
            "acronis_url": self.url,
            "acronis_client_id": self.client_id,
            "acronis_client_secret": self.client_secret,
            "acronis_timeout_seconds": 5.0,
        }

    # --- changes made in the portal ------------------------------------------------------

    def add_customer(self, name: str, subscriptions: list[str]) -> str:
        """A customer tenant under the partner, offered the named backup storages; its id."""
        with self.state.lock:
            storages = [next(s for s in self.state.storages.values() if s.name == n) for n in subscriptions]
            tenant = self.state.add_tenant(name, kind="customer", parent_id=self.state.partner_id)
            self.state.offer(tenant.id, storages)
            return tenant.id

    def create_account(
        self,
        customer: str,
        login: str,
        *,
        email: str | None = None,
        first_name: str = "Pat",
        last_name: str = "Portal",
        roles: tuple[str, ...] = ("backup_user",),
        activated: bool = False,
    ) -> str:
        """An account made in the management portal (not through deskops); its id."""
        with self.state.lock:
            tenant = self.state.customer_by_name(customer)
            contact = {"email": email or login, "firstname": first_name, "lastname": last_name}
            account = self.state.add_account(tenant, login, contact)
            account.activated = activated
            self.state.policies[account.id] = [
                Policy(
                    id=new_id(),
                    issuer_id=self.state.partner_id,
                    tenant_id=tenant.id,
                    trustee_id=account.id,
                    role_id=role,
                )
                for role in roles
            ]
            if "backup_user" in roles:
                self.state.give_backup(account)
            return account.id

    def activate(self, login: str) -> None:
        """The user opened the activation e-mail and chose a password on the platform."""
        with self.state.lock:
            account = self.state.account_by_login(login)
            assert account is not None, f"no Acronis account signs in with {login}"
            account.activated = True
            account.version += 1

    def delete_account(self, login: str) -> None:
        """The account was deleted in the management portal."""
        with self.state.lock:
            account = self.state.account_by_login(login)
            assert account is not None, f"no Acronis account signs in with {login}"
            del self.state.accounts[account.id]
            self.state.policies.pop(account.id, None)

    def call(
        self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None
    ) -> httpx.Response:
        """One request to the API as any client would send it (with a fresh token): for tests of
        what the emulator itself accepts and refuses."""
        with httpx.Client(base_url=f"{self.url}/api/2", timeout=5.0) as http:
            issued = http.post(
                "/idp/token",
                data={"grant_type": "client_credentials"},
                auth=(self.client_id, self.client_secret),
            )
            token = issued.json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            return http.request(method, path, json=json, params=params, headers=headers)

    # --- faults ---------------------------------------------------------------------------

    def fail(self, method: str, path: str, **options: Any) -> Fault:
        return self.faults.add(Fault(method=method.upper(), path=path, **options))

    def clear_faults(self) -> None:
        self.faults.clear()

    def expire_tokens(self) -> None:
        """Every token issued so far is now expired: the next call with one answers 401."""
        with self.state.lock:
            for token in self.state.tokens:
                self.state.tokens[token] = time.time() - 1

    # --- what happened --------------------------------------------------------------------

    def account(self, login: str) -> AccountView:
        with self.state.lock:
            account = self.state.account_by_login(login)
            if account is None:
                raise AssertionError(f"no Acronis account signs in with {login}")
            policies = [p.json() for p in self.state.policies.get(account.id, [])]
            return AccountView(
                id=account.id,
                tenant=self.state.tenants[account.tenant_id].name,
                login=account.login,
                contact=dict(account.contact),
                notifications=list(account.notifications),
                language=account.language,
                activated=account.activated,
                enabled=account.enabled,
                roles={p["role_id"] for p in policies},
                policies=policies,
                offering=[i.json() for i in self.state.offering.get(account.personal_tenant_id, [])],
            )

    def accounts(self) -> list[str]:
        with self.state.lock:
            return sorted(a.login for a in self.state.accounts.values())

    def activation_emails(self) -> list[ActivationEmail]:
        with self.state.lock:
            return list(self.state.activation_emails)

    def requests(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        import re

        with self.state.lock:
            return [
                r
                for r in self.state.requests
                if (method is None or r.method == method) and (path is None or re.fullmatch(path, r.path))
            ]

    @property
    def tokens_issued(self) -> int:
        with self.state.lock:
            return self.state.tokens_issued

    def storage_id(self, name: str) -> str:
        with self.state.lock:
            return next(s.id for s in self.state.storages.values() if s.name == name)

    def tenant_id(self, name: str) -> str:
        with self.state.lock:
            return next(t.id for t in self.state.tenants.values() if t.name == name)


@pytest.fixture
def acronis_emulator() -> Iterator[AcronisEmulator]:
    emulator = AcronisEmulator().start()
    try:
        yield emulator
    finally:
        emulator.stop()
