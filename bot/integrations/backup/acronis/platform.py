"""`BackupPlatform` on Acronis Cyber Protect Cloud (Account Management API v2).

Every method can be called again after a failure and continues where the last call stopped:
the account is found by its login before one is created, roles/notifications/quotas are
compared with what the platform has before they are written, and versioned writes are
re-read and repeated when someone else changed the object in between.

When a step fails, the error says what already exists on the platform, so the helpdesk (and
the card's Retry) know where things stand. The calls and their references are listed in the
README's Acronis section.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.config import Settings
from bot.integrations.backup.acronis import catalog, lifecycle
from bot.integrations.backup.acronis.account_settings import (
    put_grants,
    put_notifications,
    read_grants,
    read_user,
)
from bot.integrations.backup.acronis.accounts import (
    contact_of,
    gone,
    login_problem,
    platform_account,
    unfinished,
)
from bot.integrations.backup.acronis.client import AcronisClient, AcronisError, OutcomeUnknown, RetryPolicy
from bot.integrations.backup.acronis.notifications import (
    PLATFORM_DEFAULT_NOTIFICATIONS,
    merge_notifications,
)
from bot.integrations.backup.acronis.personal import (
    backup_state,
    set_quotas,
)
from bot.integrations.backup.acronis.roles import (
    account_role_grants,
    service_role_grants,
)
from bot.integrations.backup.port import (
    PlatformAccount,
    PlatformBackupSettings,
    PlatformCustomer,
    PlatformError,
    PlatformUserSpec,
)
from bot.integrations.calls import Integration, IntegrationCalls, ObservedTransport

log = logging.getLogger(__name__)

# How often a POST /users whose outcome was unknown is reconciled and tried again in one call.
CREATE_ATTEMPTS = 2
LOCAL_PREFIX = "local-"


class AcronisBackupPlatform:
    name = "acronis"
    sends_own_activation_email = True
    keeps_accounts = True

    def __init__(self, client: AcronisClient) -> None:
        self.client = client

    @classmethod
    def from_settings(
        cls, settings: Settings, *, retry: RetryPolicy | None = None, calls: IntegrationCalls | None = None
    ) -> AcronisBackupPlatform:
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
            transport=None
            if calls is None
            else ObservedTransport(httpx.HTTPTransport(), calls, Integration.ACRONIS),
        )
        return cls(client)

    def close(self) -> None:
        self.client.close()

    # --- sign-in names and accounts -------------------------------------------------------

    def login_problem(self, login: str) -> str | None:
        return login_problem(login)

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
        problem = login_problem(spec.login)
        if problem:
            raise PlatformError(problem, transient=False)
        tenant_id = self._customer_tenant(spec.customer_provider_id)
        contact = contact_of(spec)
        # POST /users body as the references send it: tenant_id, login, contact and language
        # (guide "Creating a user account"; WHMCS TenantManager::createUser sets the language).
        # No `notifications`: no reference shows it taking effect there; see _start_notifications.
        body = {
            "tenant_id": tenant_id,
            "login": spec.login,
            "contact": {key: value for key, value in contact.items() if value is not None},
            "language": spec.language,
        }
        user_id = self._create(spec.login, tenant_id, body)
        self._start_notifications(user_id, spec.login)
        return user_id

    def _create(self, login: str, tenant_id: str, body: dict[str, Any]) -> str:
        unknown: OutcomeUnknown | None = None
        for _ in range(CREATE_ATTEMPTS):
            # Reconcile first: an earlier call (or the last try) may have created it already.
            existing = self._account_in_tenant(login, tenant_id)
            if existing is not None:
                return existing
            try:
                created = self.client.post("/users", body, what=f"creating the account {login}")
            except OutcomeUnknown as error:
                log.warning("creating %s on Acronis: %s; looking it up before trying again", login, error)
                unknown = error
                continue
            except AcronisError as error:
                if error.status == 409:  # created meanwhile, or taken elsewhere: the look-up decides
                    continue
                raise
            if not isinstance(created, dict) or not created.get("id"):
                raise PlatformError("Acronis created the account but did not say its id", transient=True)
            return str(created["id"])
        existing = self._account_in_tenant(login, tenant_id)
        if existing is not None:
            return existing
        reason = str(unknown) if unknown else "Acronis did not create the account"
        raise PlatformError(f"{reason}; no account {login} exists on Acronis, so it will be created again")

    def _start_notifications(self, user_id: str, login: str) -> None:
        """A new account subscribes to the documented default (`quota`, `reports`,
        `backup_daily_report`, guide "Creating a user account"): deskops switches them off with a
        versioned PUT /users/{id} so an account starts with none and the level alone decides (None
        is none). Only while the account still has exactly that default and is not activated:
        after a retry it may already hold what the user or the helpdesk chose."""
        user = read_user(self.client, user_id, login)
        current = [str(n) for n in user.get("notifications") or []]
        if user.get("activated") is True or set(current) != set(PLATFORM_DEFAULT_NOTIFICATIONS):
            return
        put_notifications(
            self.client, user_id, login, lambda _: [], what="switching off its default notifications"
        )

    def _customer_tenant(self, provider_id: str) -> str:
        return catalog.customer_tenant(self.client, provider_id)

    def _in_tenant(self, login: str, tenant_id: str) -> dict[str, Any] | None:
        wanted = login.casefold()
        for user in catalog.users_in_tenant(self.client, tenant_id):
            if str(user.get("login", "")).casefold() == wanted and user.get("id"):
                return user
        return None

    def _account_in_tenant(self, login: str, tenant_id: str) -> str | None:
        """The id of the account signing in with `login` in the customer's tenant; None when the
        login is free; an error when another tenant's account holds it."""
        if self.login_available(login):
            return None
        found = self._in_tenant(login, tenant_id)
        if found is not None:
            return str(found["id"])
        raise PlatformError(
            f"the sign-in name {login} is already used by an Acronis account outside this customer; "
            "use another e-mail address to sign in",
            transient=False,
        )

    def find_account(self, customer_provider_id: str, login: str) -> PlatformAccount | None:
        if login_problem(login) or not customer_provider_id or customer_provider_id.startswith(LOCAL_PREFIX):
            return None
        found = self._in_tenant(login, customer_provider_id)
        if found is None:
            return None
        grants = read_grants(self.client, str(found["id"]), login)
        return platform_account(found, grants, backup_state(self.client, found, grants))

    def read_accounts(self, provider_ids: list[str]) -> dict[str, PlatformAccount]:
        wanted = [i for i in dict.fromkeys(provider_ids) if i and not i.startswith(LOCAL_PREFIX)]
        return {
            str(user["id"]): platform_account(user)
            for user in catalog.users_by_uuid(self.client, wanted)
            if user.get("id")
        }

    # --- roles ----------------------------------------------------------------------------

    def set_role(self, provider_user_id: str, spec: PlatformUserSpec) -> None:
        try:
            tenant_id = self._customer_tenant(spec.customer_provider_id)
            wanted = account_role_grants(
                read_grants(self.client, provider_user_id, spec.login), spec.role, tenant_id=tenant_id
            )
            if wanted is not None:
                put_grants(
                    self.client,
                    provider_user_id,
                    spec.login,
                    wanted,
                    what=f"giving it the {spec.role.label} role",
                )
        except PlatformError as error:
            raise unfinished(spec.login, [], error) from None

    # --- Backup service -------------------------------------------------------------------

    def apply_backup_settings(self, provider_user_id: str, settings: PlatformBackupSettings) -> None:
        login = provider_user_id
        done = ["its role"]
        try:
            user = read_user(self.client, provider_user_id, login)
            login = str(user.get("login") or provider_user_id)
            wanted = service_role_grants(
                read_grants(self.client, provider_user_id, login),
                settings.backup_role,
                tenant_id=str(user.get("tenant_id")),
            )
            if wanted is not None:
                put_grants(
                    self.client,
                    provider_user_id,
                    login,
                    wanted,
                    what=f"giving it the Backup role {settings.backup_role.label}",
                )
            done = ["its roles"]
            level = settings.notification_level
            put_notifications(
                self.client,
                provider_user_id,
                login,
                lambda current: merge_notifications(current, level),
                what=f"setting its notifications to “{level.label}”",
            )
            done.append(f"notifications “{level.label}”")
            set_quotas(self.client, read_user(self.client, provider_user_id, login), settings)
        except PlatformError as error:
            raise unfinished(login, done, error) from None

    # --- activation -----------------------------------------------------------------------

    def send_activation_email(self, provider_user_id: str) -> None:
        # POST /users/{id}/send-activation-email, empty JSON body, 204 (python samples,
        # how_to_send_user_activation_email.py). A retry may send a second e-mail; the newest
        # link is the one that works, so that is the lesser evil compared with sending none.
        try:
            self.client.post(
                f"/users/{provider_user_id}/send-activation-email", {}, what="sending the activation e-mail"
            )
        except AcronisError as error:
            raise gone(error, provider_user_id) from None

    # --- the account's life: disable, enable, delete (bot/integrations/backup/acronis/lifecycle.py)

    def set_enabled(self, provider_user_id: str, *, enabled: bool) -> None:
        lifecycle.set_enabled(self.client, provider_user_id, enabled=enabled)

    def delete_account(self, provider_user_id: str) -> None:
        lifecycle.delete_account(self.client, provider_user_id)

    def update_account(self, provider_user_id: str, spec: PlatformUserSpec) -> None:
        try:
            lifecycle.update_contact(
                self.client, provider_user_id, {k: v for k, v in contact_of(spec).items() if v is not None}
            )
            self.set_role(provider_user_id, spec)
        except PlatformError as error:
            raise unfinished(spec.login, [], error) from None

    # --- customers and the set-up check ---------------------------------------------------

    def list_customers(self) -> list[PlatformCustomer]:
        return catalog.customers(self.client)

    def check(self) -> str:
        return catalog.check_line(self.client)
