"""`BackupPlatform` on Acronis Cyber Protect Cloud (Account Management API v2).

Every method can be called again after a failure and continues where the last call stopped:
the account is found by its login before one is created, roles/notifications/quotas are
compared with what the platform has before they are written, and versioned writes are
re-read and repeated when someone else changed the object in between.

When a step fails, the error says what already exists on the platform, so the helpdesk (and
the card's Retry) know where things stand.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.accounts.models import NotificationLevel
from bot.config import Settings
from bot.integrations.backup.acronis import catalog
from bot.integrations.backup.acronis.client import AcronisClient, AcronisError, OutcomeUnknown, RetryPolicy
from bot.integrations.backup.acronis.notifications import (
    NEW_ACCOUNT_NOTIFICATIONS,
    merge_notifications,
    same_notifications,
)
from bot.integrations.backup.acronis.quotas import enabled, is_backup_storage, plan_quotas, storage_item
from bot.integrations.backup.acronis.roles import account_role_policies, service_role_policies
from bot.integrations.backup.port import (
    PlatformBackupSettings,
    PlatformCustomer,
    PlatformError,
    PlatformSubscription,
    PlatformUserSpec,
)

log = logging.getLogger(__name__)

# How often a POST /users whose outcome was unknown is reconciled and tried again in one call.
CREATE_ATTEMPTS = 2
# How often a versioned write (user, offering items) is re-read and repeated after a conflict.
CONFLICT_ATTEMPTS = 3
# 409: another writer changed the object; 426: stale quota version (Acronis KB 71376).
CONFLICT_STATUSES = frozenset({409, 426})
LOCAL_PREFIX = "local-"


def _unfinished(login: str, done: list[str], error: PlatformError) -> PlatformError:
    """'The account x exists on Acronis [with …], but <what failed>' — keeps `transient`."""
    state = f"The account {login} exists on Acronis"
    if done:
        state += " with " + (", ".join(done[:-1]) + " and " + done[-1] if len(done) > 1 else done[0])
    return PlatformError(f"{state}, but {error}", transient=error.transient)


def _address_lines(address: str | None) -> tuple[str | None, str | None]:
    if not address:
        return None, None
    lines = [line.strip() for line in address.splitlines() if line.strip()]
    return (lines[0] if lines else None), (", ".join(lines[1:]) or None)


class AcronisBackupPlatform:
    name = "acronis"
    sends_own_activation_email = True

    def __init__(self, client: AcronisClient) -> None:
        self.client = client

    @classmethod
    def from_settings(cls, settings: Settings, *, retry: RetryPolicy | None = None) -> AcronisBackupPlatform:
        if (
            settings.acronis_url is None
            or settings.acronis_client_id is None
            or settings.acronis_client_secret is None
        ):
            raise PlatformError(
                "ACRONIS_URL, ACRONIS_CLIENT_ID and ACRONIS_CLIENT_SECRET must all be set", transient=False
            )
        client = AcronisClient(
            settings.acronis_url,
            client_id=settings.acronis_client_id,
            client_secret=settings.acronis_client_secret.get_secret_value(),
            timeout=settings.acronis_timeout_seconds,
            retry=retry,
        )
        return cls(client)

    def close(self) -> None:
        self.client.close()

    # --- sign-in names and accounts -------------------------------------------------------

    def login_available(self, login: str) -> bool:
        # GET /users/check_login?username=… : 204 free, 409 taken (guide, "Creating a user
        # account"; Acronis WHMCS module `Api::checkLogin`).
        response = self.client.request(
            "GET",
            "/users/check_login",
            what=f"checking the sign-in name {login}",
            params={"username": login},
            accept=(204, 409),
        )
        return response.status_code == 204

    def create_user(self, spec: PlatformUserSpec) -> str:
        tenant_id = self._customer_tenant(spec.customer_provider_id)
        address1, address2 = _address_lines(spec.address)
        contact = {
            "email": spec.email,
            "firstname": spec.first_name,
            "lastname": spec.last_name,
            "address1": address1,
            "address2": address2,
            "phone": spec.phone,
        }
        # POST /users body: guide "Creating a user account"; python samples
        # ManagementAPI/ManagementUser/how_to_create_user.py (contact fields) and the `UserPost`
        # model of Acronis's PHP client (notifications: always sent, see NEW_ACCOUNT_NOTIFICATIONS;
        # the Backup level adds its own in apply_backup_settings).
        body = {
            "tenant_id": tenant_id,
            "login": spec.login,
            "contact": {key: value for key, value in contact.items() if value is not None},
            "notifications": list(NEW_ACCOUNT_NOTIFICATIONS),
        }
        unknown: OutcomeUnknown | None = None
        for _ in range(CREATE_ATTEMPTS):
            # Reconcile first: an earlier call (or the last try) may have created it already.
            existing = self._account_in_tenant(spec.login, tenant_id)
            if existing is not None:
                return existing
            try:
                created = self.client.post("/users", body, what=f"creating the account {spec.login}")
            except OutcomeUnknown as error:
                log.warning(
                    "creating %s on Acronis: %s; looking it up before trying again", spec.login, error
                )
                unknown = error
                continue
            except AcronisError as error:
                if error.status == 409:  # created meanwhile, or taken elsewhere: the look-up decides
                    continue
                raise
            if not isinstance(created, dict) or not created.get("id"):
                raise PlatformError("Acronis created the account but did not say its id", transient=True)
            return str(created["id"])
        existing = self._account_in_tenant(spec.login, tenant_id)
        if existing is not None:
            return existing
        reason = str(unknown) if unknown else "Acronis did not create the account"
        raise PlatformError(
            f"{reason}; no account {spec.login} exists on Acronis, so it will be created again"
        )

    def _customer_tenant(self, provider_id: str) -> str:
        if not provider_id or provider_id.startswith(LOCAL_PREFIX):
            raise PlatformError(
                "this customer is not linked to an Acronis customer tenant: run `deskops customers sync`",
                transient=False,
            )
        return provider_id

    def _account_in_tenant(self, login: str, tenant_id: str) -> str | None:
        """The id of the account signing in with `login` in the customer's tenant; None when the
        login is free; an error when another tenant's account holds it."""
        if self.login_available(login):
            return None
        wanted = login.casefold()
        ids = catalog.tenant_user_ids(self.client, tenant_id)
        for user in catalog.users_by_uuid(self.client, ids):
            if str(user.get("login", "")).casefold() == wanted:
                return str(user["id"])
        raise PlatformError(
            f"the sign-in name {login} is already used by an Acronis account outside this customer; "
            "use another e-mail address to sign in",
            transient=False,
        )

    # --- roles ----------------------------------------------------------------------------

    def _policies(self, user_id: str) -> list[dict[str, Any]]:
        body = self.client.get(f"/users/{user_id}/access_policies", what="reading the account's roles")
        items = body.get("items", []) if isinstance(body, dict) else []
        return [item for item in items if isinstance(item, dict)]

    def _put_policies(self, user_id: str, policies: list[dict[str, Any]], *, what: str) -> None:
        self.client.put(f"/users/{user_id}/access_policies", {"items": policies}, what=what)

    def set_role(self, provider_user_id: str, spec: PlatformUserSpec) -> None:
        tenant_id = self._customer_tenant(spec.customer_provider_id)
        try:
            wanted = account_role_policies(
                self._policies(provider_user_id), spec.role, tenant_id=tenant_id, user_id=provider_user_id
            )
            if wanted is not None:
                self._put_policies(provider_user_id, wanted, what=f"giving it the {spec.role.label} role")
        except PlatformError as error:
            raise _unfinished(spec.login, [], error) from None

    # --- Backup service -------------------------------------------------------------------

    def apply_backup_settings(self, provider_user_id: str, settings: PlatformBackupSettings) -> None:
        login = provider_user_id
        done = ["its role"]
        try:
            user = self._user(provider_user_id)
            login = str(user.get("login") or provider_user_id)
            policies = self._policies(provider_user_id)
            wanted = service_role_policies(
                policies, settings.backup_role, tenant_id=str(user.get("tenant_id")), user_id=provider_user_id
            )
            if wanted is not None:
                self._put_policies(
                    provider_user_id, wanted, what=f"giving it the Backup role {settings.backup_role.label}"
                )
            done = ["its roles"]
            self._set_notifications(provider_user_id, settings.notification_level)
            done.append(f"notifications “{settings.notification_level.label}”")
            self._set_quotas(user, settings)
        except PlatformError as error:
            raise _unfinished(login, done, error) from None

    def _user(self, user_id: str) -> dict[str, Any]:
        body = self.client.get(f"/users/{user_id}", what="reading the account")
        if not isinstance(body, dict):
            raise PlatformError("Acronis answered the account look-up with something that is not an account")
        return body

    def _set_notifications(self, user_id: str, level: NotificationLevel) -> None:
        # PUT /users/{id} with the current `version` (optimistic concurrency; python samples
        # how_to_update_user.py, Acronis WHMCS module ClientAreaApi::updateDetails).
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            user = self._user(user_id)
            current = [str(n) for n in user.get("notifications") or []]
            merged = merge_notifications(current, level)
            if same_notifications(current, merged):
                return
            try:
                self.client.put(
                    f"/users/{user_id}",
                    {"notifications": merged, "version": user.get("version")},
                    what=f"setting its notifications to “{level.label}”",
                )
                return
            except AcronisError as error:
                if error.status not in CONFLICT_STATUSES or attempt == CONFLICT_ATTEMPTS:
                    raise
                log.info("notifications of %s changed meanwhile on Acronis; reading them again", user_id)

    def _set_quotas(self, user: dict[str, Any], settings: PlatformBackupSettings) -> None:
        subscription = settings.subscription_provider_id
        if not subscription or subscription.startswith(LOCAL_PREFIX):
            raise PlatformError(
                f"the subscription “{settings.subscription_name}” is not linked to Acronis: "
                "run `deskops customers sync`",
                transient=False,
            )
        personal = user.get("personal_tenant_id")
        if not personal:
            raise PlatformError(
                "Acronis gave the account no personal tenant, which carries its quotas", transient=False
            )
        what = f"setting its quotas on “{settings.subscription_name}”"
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            items = catalog.offering_items(self.client, str(personal), what="reading the account's quotas")
            storage = storage_item(items, subscription)
            if storage is None:
                if any(enabled(i) and is_backup_storage(i) for i in items):
                    raise PlatformError(
                        f"the subscription “{settings.subscription_name}” is not offered to this customer "
                        "on Acronis any more (run `deskops customers sync`)",
                        transient=False,
                    )
                # The personal tenant gets its offering items with the Backup role; not yet there.
                raise PlatformError("Acronis has not yet given the account its Backup offering items")
            plan = plan_quotas(items, settings.quotas, infra_id=subscription, edition=storage.get("edition"))
            if plan.not_offered:
                log.warning(
                    "%s: %s quota not set: the customer's offering on Acronis has no such item",
                    user.get("login"),
                    ", ".join(plan.not_offered),
                )
            if not plan.changes:
                return
            try:
                self.client.put(
                    f"/tenants/{personal}/offering_items", {"offering_items": plan.changes}, what=what
                )
                return
            except AcronisError as error:
                if error.status not in CONFLICT_STATUSES or attempt == CONFLICT_ATTEMPTS:
                    raise
                log.info("quotas of %s changed meanwhile on Acronis; reading them again", user.get("login"))

    # --- activation -----------------------------------------------------------------------

    def send_activation_email(self, provider_user_id: str) -> None:
        # POST /users/{id}/send-activation-email, empty JSON body, 204 (python samples,
        # how_to_send_user_activation_email.py). A retry may send a second e-mail; the newest
        # link is the one that works, so that is the lesser evil compared with sending none.
        self.client.post(
            f"/users/{provider_user_id}/send-activation-email", {}, what="sending the activation e-mail"
        )

    # --- customers and the set-up check ---------------------------------------------------

    def list_customers(self) -> list[PlatformCustomer]:
        partner_id = catalog.partner_tenant_id(self.client)
        tenants = catalog.customer_tenants(self.client, partner_id)
        offers = {
            str(t["id"]): catalog.storage_offers(
                catalog.offering_items(
                    self.client, str(t["id"]), what=f"reading the offering of {t.get('name')}"
                )
            )
            for t in tenants
        }
        names = catalog.storage_names(self.client, [o.infra_id for found in offers.values() for o in found])
        return [
            PlatformCustomer(
                provider_id=str(t["id"]),
                name=str(t.get("name") or t["id"]),
                subscriptions=[
                    PlatformSubscription(provider_id=o.infra_id, name=names.get(o.infra_id, o.infra_id))
                    for o in offers[str(t["id"])]
                ],
            )
            for t in tenants
        ]

    def check(self) -> str:
        partner_id = catalog.partner_tenant_id(self.client)
        partner = catalog.tenant(self.client, partner_id)
        count = len(catalog.customer_tenants(self.client, partner_id))
        name = partner.get("name") or "?"
        return f'acronis: {self.client.url} partner "{name}" (tenant {partner_id}), {count} customers'
