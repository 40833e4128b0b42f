"""What the Acronis emulator holds: tenants, storages, offering items, accounts, roles.

Shapes follow the Account Management API v2 as documented (developer.acronis.com, "JSON
object structure" of tenants, users, access policies, offering items and storages) and as
Acronis's generated PHP client models them (acronis-cyber-cloud-whmcs `ci-lib-php-cloud-client`).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Application ids as the platform answers GET /tenants/{id}/applications/roles (Acronis's public
# Postman collection, "Get a user personal tenant available roles"): Cyber Protection, Files
# Cloud (sync & share) and the platform itself (the management portal's admin roles).
BACKUP_APPLICATION = "6e6d758d-8e74-3ae3-ac84-50eb0dff12eb"
FILES_APPLICATION = "dfd85a5f-a464-32ab-81fd-99bcc66a070f"
PLATFORM_APPLICATION = "7459244f-68f3-3bf4-9f53-5f63ecc1d91f"
EDITION = "per_gigabyte"
GIB = 1024**3
NOTIFICATIONS = frozenset(
    {
        "maintenance",
        "quota",
        "reports",
        "backup_error",
        "backup_warning",
        "backup_info",
        "backup_daily_report",
        "backup_critical",
    }
)
# What a new account subscribes to: the documented POST /users answer (developer guide, "Creating
# a user account"). No reference shows `notifications` in a POST /users body taking effect (the
# python/PowerShell examples and the WHMCS module leave it out), so the emulator applies this
# default whatever the body says: *None* is reached only by the follow-up PUT /users/{id}.
DEFAULT_NOTIFICATIONS = ["quota", "reports", "backup_daily_report"]
# Languages: the WHMCS module sends locales such as `en_US` (AcronisCloud\Util\WHMCS\Lang), the
# guide's "Supported language codes" two-letter codes.
LANGUAGE = r"[a-z]{2}(?:[_-][A-Z]{2})?"


def new_id() -> str:
    return str(uuid.uuid4())


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Tenant:
    id: str
    name: str
    kind: str  # partner, folder, customer, unit
    parent_id: str | None
    enabled: bool = True
    owner_id: str | None = None
    version: int = 1
    # "The default language of notifications, reports, and the software that is used within the
    # tenant" (developer guide, "Managing tenants"; codes from "Supported language codes").
    language: str = "en"
    # Enabled applications (services): GET /tenants/{id}/applications.
    applications: set[str] = field(default_factory=set)

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "name": self.name,
            "customer_type": "default",
            "parent_id": self.parent_id,
            "kind": self.kind,
            "contact": {},
            "enabled": self.enabled,
            "customer_id": None,
            "brand_id": 1,
            "internal_tag": None,
            "language": self.language,
            "owner_id": self.owner_id,
            "has_children": False,
            "default_idp_id": "11111111-1111-1111-1111-111111111111",
            "ancestral_access": True,
        }


@dataclass
class OfferingItem:
    name: str
    application_id: str = BACKUP_APPLICATION
    edition: str | None = EDITION
    usage_name: str = ""
    type: str = "count"
    measurement_unit: str = "quantity"
    status: int = 1
    infra_id: str | None = None
    quota_value: float | None = None
    quota_overage: float | None = None
    quota_version: int = 0
    locked: bool = False

    def key(self) -> tuple[str, str, str | None]:
        return (self.application_id, self.name, self.infra_id)

    def json(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "application_id": self.application_id,
            "name": self.name,
            "edition": self.edition,
            "usage_name": self.usage_name or self.name,
            "status": self.status,
            "locked": self.locked,
            "type": self.type,
            "measurement_unit": self.measurement_unit,
        }
        if self.infra_id is not None:
            item["infra_id"] = self.infra_id
        if self.status == 1:  # "Disabled offering items do not have the quota object."
            item["quota"] = {
                "value": self.quota_value,
                "overage": self.quota_overage,
                "version": self.quota_version,
            }
        return item

    def copy_for(self, *, status: int | None = None) -> OfferingItem:
        """The same item for a child tenant (enabled as here, or with `status`)."""
        return OfferingItem(
            name=self.name,
            application_id=self.application_id,
            edition=self.edition,
            usage_name=self.usage_name,
            type=self.type,
            measurement_unit=self.measurement_unit,
            status=self.status if status is None else status,
            infra_id=self.infra_id,
            quota_value=self.quota_value,
            quota_overage=self.quota_overage,
        )


@dataclass
class Storage:
    id: str
    name: str
    capabilities: list[str]
    owner_tenant_id: str
    location_id: str = field(default_factory=new_id)

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "owner_tenant_id": self.owner_tenant_id,
            "location_id": self.location_id,
            "platform_owned": False,
            "name": self.name,
            "url": f"acronis+fes://{self.id[:8]}.storage.example:44445",
            "capabilities": self.capabilities,
            "backend_type": "acronis",
            "version": 1,
            "readonly": False,
        }


@dataclass
class Account:
    id: str
    tenant_id: str
    login: str
    contact: dict[str, Any]
    personal_tenant_id: str
    notifications: list[str]
    version: int = 1
    activated: bool = False
    enabled: bool = True
    language: str = "en"
    created_at: str = field(default_factory=now_iso)

    def json(self) -> dict[str, Any]:
        contact = {
            key: self.contact.get(key)
            for key in (
                "email",
                "address1",
                "address2",
                "country",
                "state",
                "city",
                "zipcode",
                "phone",
                "firstname",
                "lastname",
            )
        }
        return {
            "id": self.id,
            "version": self.version,
            "tenant_id": self.tenant_id,
            "login": self.login,
            "contact": contact,
            "activated": self.activated,
            "enabled": self.enabled,
            "created_at": self.created_at,
            "language": self.language,
            "idp_id": "11111111-1111-1111-1111-111111111111",
            "external_id": None,
            "personal_tenant_id": self.personal_tenant_id,
            "business_types": [],
            "notifications": list(self.notifications),
            "mfa_status": "disabled",
        }


@dataclass
class Policy:
    id: str
    issuer_id: str
    tenant_id: str
    trustee_id: str
    role_id: str
    trustee_type: str = "user"
    version: int = 1
    created_at: str = field(default_factory=now_iso)

    def json(self) -> dict[str, Any]:
        # The server-side fields of an access policy as the Go sample connector models the answer
        # (accclient/access_policy.go: created_at, updated_at, resource).
        return {
            "id": self.id,
            "version": self.version,
            "trustee_id": self.trustee_id,
            "trustee_type": self.trustee_type,
            "issuer_id": self.issuer_id,
            "tenant_id": self.tenant_id,
            "role_id": self.role_id,
            "created_at": self.created_at,
            "updated_at": self.created_at,
            "resource": None,
        }


@dataclass(frozen=True)
class ActivationEmail:
    user_id: str
    login: str
    to: str


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    status: int


@dataclass
class PlatformState:
    client_id: str
    client_secret: str
    partner_id: str = field(default_factory=new_id)
    tenants: dict[str, Tenant] = field(default_factory=dict)
    offering: dict[str, list[OfferingItem]] = field(default_factory=dict)
    storages: dict[str, Storage] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    policies: dict[str, list[Policy]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)  # token → expires_on
    tokens_issued: int = 0
    activation_emails: list[ActivationEmail] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    # Most items one page of a list answer holds, whatever `limit` the client asked for: small,
    # so every test follows `paging.cursors.after` (see tests/support/acronis/rules.py).
    page_size: int = 3
    lock: threading.RLock = field(default_factory=threading.RLock)

    # --- building -------------------------------------------------------------------------

    def add_tenant(self, name: str, *, kind: str, parent_id: str | None, enabled: bool = True) -> Tenant:
        tenant = Tenant(id=new_id(), name=name, kind=kind, parent_id=parent_id, enabled=enabled)
        if kind in ("partner", "folder", "customer"):
            tenant.applications = {PLATFORM_APPLICATION, BACKUP_APPLICATION, FILES_APPLICATION}
        elif kind == "unit":
            tenant.applications = {PLATFORM_APPLICATION}
        self.tenants[tenant.id] = tenant
        self.offering.setdefault(tenant.id, [])
        return tenant

    def add_storage(self, name: str, capabilities: tuple[str, ...] = ("backup",)) -> Storage:
        storage = Storage(
            id=new_id(), name=name, capabilities=list(capabilities), owner_tenant_id=self.partner_id
        )
        self.storages[storage.id] = storage
        return storage

    def offer(self, tenant_id: str, storages: list[Storage]) -> None:
        """A per-gigabyte Cyber Protection offering on the given backup storages."""
        items = self.offering.setdefault(tenant_id, [])
        for storage in storages:
            items.append(
                OfferingItem(
                    name="pg_storage",
                    usage_name="storage",
                    type="infra",
                    measurement_unit="bytes",
                    infra_id=storage.id,
                )
            )
        for name in ("pg_workstations", "pg_servers", "pg_vms", "pg_mobiles", "pg_o365_seats"):
            items.append(OfferingItem(name=name, usage_name=name.removeprefix("pg_")))
        # Items deskops must leave alone: disaster recovery storage, local backup, Sync & Share,
        # and a disabled one (which has no quota object).
        dr = next((s for s in self.storages.values() if "disaster_recovery" in s.capabilities), None)
        if dr is not None:
            items.append(
                OfferingItem(
                    name="pg_dr_storage",
                    usage_name="dr_storage",
                    type="infra",
                    measurement_unit="bytes",
                    infra_id=dr.id,
                )
            )
        items.append(OfferingItem(name="local_storage", edition=None, type="feature", measurement_unit="n/a"))
        items.append(
            OfferingItem(
                name="fc_storage",
                application_id=FILES_APPLICATION,
                edition=None,
                type="infra",
                measurement_unit="bytes",
            )
        )
        items.append(OfferingItem(name="pg_web_hosting_servers", status=0))

    def add_account(
        self,
        tenant: Tenant,
        login: str,
        contact: dict[str, Any],
        *,
        language: str = "en",
        notifications: list[str] | None = None,
    ) -> Account:
        """An account as POST /users makes it: in a customer tenant it gets a personal tenant (kind
        `unit`, guide "Managing user accounts"), which carries its quotas."""
        user_id = new_id()
        personal_id = ""
        if tenant.kind == "customer":
            personal = self.add_tenant(login, kind="unit", parent_id=tenant.id)
            personal.owner_id = user_id
            personal_id = personal.id
        account = Account(
            id=user_id,
            tenant_id=tenant.id,
            login=login,
            contact=dict(contact),
            personal_tenant_id=personal_id,
            notifications=list(DEFAULT_NOTIFICATIONS if notifications is None else notifications),
            language=language,
        )
        self.accounts[user_id] = account
        self.policies[user_id] = []
        return account

    def give_backup(self, account: Account) -> None:
        """Developer guide, "Enabling the backup service for a user in a customer tenant": giving
        an account `backup_user` "will automatically enable the backup service ... for the account,
        and will also set the same quotas for the account as the ones set for the tenant". Only
        that role is documented to do so; for any other the service and its offering items stay
        off on the personal tenant until enabled the documented way (see server.py, put_offering)."""
        personal = self.tenants[account.personal_tenant_id]
        personal.applications.add(BACKUP_APPLICATION)
        own = self.offering.setdefault(personal.id, [])
        keys = {i.key() for i in own}
        for item in self.offering.get(account.tenant_id, []):
            if item.status == 1 and item.application_id == BACKUP_APPLICATION and item.key() not in keys:
                own.append(item.copy_for())

    # --- look-ups -------------------------------------------------------------------------

    def account_by_login(self, login: str) -> Account | None:
        wanted = login.casefold()
        return next((a for a in self.accounts.values() if a.login.casefold() == wanted), None)

    def customer_by_name(self, name: str) -> Tenant:
        return next(t for t in self.tenants.values() if t.name == name and t.kind == "customer")

    def tenant_roles(self, tenant: Tenant) -> list[dict[str, Any]]:
        """GET /tenants/{id}/applications/roles: the roles a tenant of this kind offers with the
        applications it has enabled. Ids as the role enumerations of Acronis's generated PHP client
        (acronis-cyber-cloud-whmcs ci-lib-php-cloud-client Model/Common/Types/Role.php) and Go
        sample connector (accclient/access_policy.go) spell them; levels as the guide's "Available
        user account roles" table (company_admin: Customer; partner_admin: Partner, Folder;
        unit_admin: Unit); `is_default` as the Postman collection's sample answer."""
        admin: list[tuple[str, str, bool, str]] = {
            "partner": [("partner_admin", "admin", False, PLATFORM_APPLICATION)],
            "folder": [("partner_admin", "admin", False, PLATFORM_APPLICATION)],
            "customer": [("company_admin", "admin", False, PLATFORM_APPLICATION)],
            "unit": [("unit_admin", "admin", True, PLATFORM_APPLICATION)],
        }.get(tenant.kind, [])
        roles = [*admin, ("readonly_admin", "admin", False, PLATFORM_APPLICATION)]
        if tenant.kind in ("customer", "unit") and BACKUP_APPLICATION in tenant.applications:
            roles += [
                ("backup_user", "application_user", True, BACKUP_APPLICATION),
                ("backup_admin", "application_admin", False, BACKUP_APPLICATION),
            ]
        if tenant.kind in ("customer", "unit") and FILES_APPLICATION in tenant.applications:
            roles += [
                ("sync_share_user", "application_user", True, FILES_APPLICATION),
                ("sync_share_admin", "application_admin", False, FILES_APPLICATION),
            ]
        return [
            {"application_id": app, "is_default": default, "role": role, "type": kind}
            for role, kind, default, app in roles
        ]


def seed_sample(state: PlatformState) -> None:
    """The partner "Example MSP" with the three customers of bot/sample/customers.yaml; each
    subscription is a backup storage of that name (see bot/integrations/backup/acronis/catalog.py)."""
    state.tenants[state.partner_id] = Tenant(
        id=state.partner_id, name="Example MSP", kind="partner", parent_id=None
    )
    state.offering[state.partner_id] = []
    payg = state.add_storage("PAYG")
    capped = state.add_storage("Capped Storage")
    m365 = state.add_storage("Microsoft Office 365")
    state.add_storage("Acronis Disaster Recovery storage", ("disaster_recovery",))
    acme = state.add_tenant("Acme Corporation", kind="customer", parent_id=state.partner_id)
    globex = state.add_tenant("Globex Logistics", kind="customer", parent_id=state.partner_id)
    folder = state.add_tenant("Dental practices", kind="folder", parent_id=state.partner_id)
    initech = state.add_tenant("Initech Dental", kind="customer", parent_id=folder.id)
    state.add_tenant("Former Customer Ltd", kind="customer", parent_id=state.partner_id, enabled=False)
    state.offer(acme.id, [payg, capped, m365])
    state.offer(globex.id, [payg])
    state.offer(initech.id, [payg, capped])
