"""How deskops' choices become Acronis data: notification lists, quotas on offering items, roles
as access policies, token lifetimes and Retry-After. Pure functions, no network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from bot.accounts.models import BackupRole, NotificationLevel, Role
from bot.integrations.backup.acronis.answers import error_detail, retry_after_seconds
from bot.integrations.backup.acronis.auth import AccessToken, TokenCache, parse_token_response
from bot.integrations.backup.acronis.notifications import merge_notifications
from bot.integrations.backup.acronis.quotas import GIB, base_name, plan_quotas
from bot.integrations.backup.acronis.roles import (
    ZERO_UUID,
    Grant,
    account_role_grants,
    grants_of,
    policy_items,
    service_role_grants,
)
from bot.integrations.backup.port import Quotas

STORAGE = "8fcd353b-0a40-40f2-9a55-ef8137d48800"
OTHER_STORAGE = "404e4325-ff66-4014-a54a-685717a56a18"
TENANT = "72acaf6a-b15a-11e6-80f5-76304dec7eb7"
USER = "de092d74-a977-4c4b-bf15-751fcba6f1a7"


# --- notifications --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "backup"),
    [
        (NotificationLevel.NONE, []),
        (NotificationLevel.ERRORS, ["backup_error", "backup_critical"]),
        (NotificationLevel.ERRORS_AND_WARNINGS, ["backup_error", "backup_critical", "backup_warning"]),
        (
            NotificationLevel.ALL,
            ["backup_error", "backup_critical", "backup_warning", "backup_info", "backup_daily_report"],
        ),
    ],
)
def test_notification_level_replaces_only_the_backup_notifications(
    level: NotificationLevel, backup: list[str]
) -> None:
    current = ["quota", "backup_daily_report", "maintenance", "backup_info"]
    assert merge_notifications(current, level) == ["quota", "maintenance", *backup]


def test_reports_and_quota_stay_off_when_the_user_had_them_off() -> None:
    assert merge_notifications(["backup_error"], NotificationLevel.ALL) == [
        "backup_error",
        "backup_critical",
        "backup_warning",
        "backup_info",
        "backup_daily_report",
    ]


# --- quotas ---------------------------------------------------------------------------------


def item(
    name: str, *, infra: str | None = None, edition: str | None = "per_gigabyte", **quota: object
) -> dict:
    entry: dict = {
        "application_id": "6e6d758d-8e74-3ae3-ac84-50eb0dff12eb",
        "name": name,
        "edition": edition,
        "status": 1,
        "type": "infra" if infra else "count",
        "quota": {"value": None, "overage": None, "version": 0, **quota},
    }
    if infra:
        entry["infra_id"] = infra
    return entry


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("workstations", "workstations"),
        ("adv_workstations", "workstations"),
        ("pg_vms", "vms"),
        ("pw_o365_seats", "o365_seats"),
        ("p_adv_mobiles", "mobiles"),
        ("pg_storage", "storage"),
        ("dr_storage", None),
        ("fc_storage", None),
        ("local_storage", None),
        ("pw_p_ess_servers", None),
        ("pg_web_hosting_servers", None),
        ("dr_cloud_servers", None),
    ],
)
def test_offering_items_are_recognised_in_every_edition_and_nothing_else(name: str, base: str | None) -> None:
    assert base_name(name) == base


def test_quotas_become_hard_limits_on_the_subscription_storage_and_its_edition() -> None:
    items = [
        item("pg_storage", infra=STORAGE),
        item("pg_storage", infra=OTHER_STORAGE),
        item("pg_workstations", version=3),
        item("pw_workstations", edition="per_workload"),
        item("pg_servers"),
        item("pg_o365_seats", value=10.0, overage=0.0, version=2),
    ]
    quotas = Quotas(storage_gb=250, workstations=2, servers=None, m365_seats=None)
    plan = plan_quotas(items, quotas, infra_id=STORAGE, edition="per_gigabyte")
    changed = {(c["name"], c.get("infra_id")): c["quota"] for c in plan.changes}
    assert changed == {
        ("pg_storage", STORAGE): {"value": 250.0 * GIB, "overage": 0.0, "version": 0},
        ("pg_workstations", None): {"value": 2.0, "overage": 0.0, "version": 3},
        # An empty quota removes a limit the account had.
        ("pg_o365_seats", None): {"value": None, "overage": None, "version": 2},
    }
    assert plan.not_offered == []
    # Only what Acronis's own clients send for an item, nothing the platform answered about it.
    assert all(set(c) <= {"application_id", "name", "status", "infra_id", "quota"} for c in plan.changes)


def test_quotas_already_right_write_nothing_and_missing_items_are_reported() -> None:
    items = [
        item("pg_storage", infra=STORAGE, value=float(5 * GIB), overage=0.0, version=1),
        item("pg_servers"),
    ]
    plan = plan_quotas(
        items, Quotas(storage_gb=5, mobile_devices=3, m365_seats=1), infra_id=STORAGE, edition="per_gigabyte"
    )
    assert plan.changes == []
    assert plan.not_offered == ["mobile devices", "Microsoft 365 seats"]


def test_items_only_offered_to_the_account_are_enabled_with_their_quota_and_service() -> None:
    disabled = item("pg_vms")
    disabled["status"] = 0
    del disabled["quota"]
    plan = plan_quotas([disabled], Quotas(virtual_machines=4), infra_id=STORAGE, edition="per_gigabyte")
    assert plan.not_offered == []
    assert plan.changes == [
        {
            "application_id": disabled["application_id"],
            "name": "pg_vms",
            "status": 1,
            "quota": {"value": 4.0, "overage": 0.0, "version": 0},
        }
    ]
    assert plan.applications == {disabled["application_id"]}


# --- roles ----------------------------------------------------------------------------------


def policy(role: str, policy_id: str = "fb261178-06bc-4268-9337-9639e049e1c8") -> dict:
    """A policy as the platform answers it: its own id, issuer, version and server fields."""
    return {
        "id": policy_id,
        "issuer_id": "48ef84eb-b0dc-4ade-83d1-0662c8b54f6d",
        "trustee_id": USER,
        "trustee_type": "user",
        "tenant_id": TENANT,
        "role_id": role,
        "version": 1,
        "created_at": "2026-12-01T10:00:00Z",
        "updated_at": "2026-12-01T10:00:00Z",
        "resource": None,
    }


def grants(*roles: str) -> list[Grant]:
    return grants_of([policy(role) for role in roles])


def test_a_new_administrator_gets_company_admin_in_the_documented_policy_shape() -> None:
    wanted = account_role_grants([], Role.ADMINISTRATOR, tenant_id=TENANT)
    assert wanted is not None
    assert policy_items(wanted, user_id=USER) == [
        {
            "id": ZERO_UUID,
            "issuer_id": ZERO_UUID,
            "tenant_id": TENANT,
            "trustee_id": USER,
            "trustee_type": "user",
            "role_id": "company_admin",
            "version": 0,
        }
    ]


def test_roles_kept_are_sent_again_as_new_policies_without_what_the_platform_answered() -> None:
    wanted = account_role_grants(grants("sync_share_user"), Role.USER, tenant_id=TENANT)
    assert wanted is not None
    sent = policy_items(wanted, user_id=USER)
    assert [p["role_id"] for p in sent] == ["sync_share_user", "backup_user"]
    assert all(p["id"] == p["issuer_id"] == ZERO_UUID and p["version"] == 0 for p in sent)
    assert all("created_at" not in p and "resource" not in p for p in sent)


def test_roles_already_in_place_are_not_written_again() -> None:
    assert account_role_grants(grants("company_admin"), Role.ADMINISTRATOR, tenant_id=TENANT) is None
    # A User whose Backup role is read-only keeps it: the Backup settings own that role.
    assert account_role_grants(grants("readonly_admin"), Role.USER, tenant_id=TENANT) is None
    assert service_role_grants(grants("backup_user"), BackupRole.USER, tenant_id=TENANT) is None


@pytest.mark.parametrize(
    ("backup_role", "role_id"),
    [
        (BackupRole.USER, "backup_user"),
        (BackupRole.ADMINISTRATOR, "backup_admin"),
        (BackupRole.READ_ONLY_ADMINISTRATOR, "readonly_admin"),
    ],
)
def test_backup_role_of_a_user_replaces_the_previous_one(backup_role: BackupRole, role_id: str) -> None:
    current = grants("backup_user") if role_id != "backup_user" else grants("readonly_admin")
    wanted = service_role_grants(current, backup_role, tenant_id=TENANT)
    assert wanted is not None and [g.role_id for g in wanted] == [role_id]


def test_a_company_administrator_already_has_every_backup_right() -> None:
    current = grants("company_admin")
    assert service_role_grants(current, BackupRole.READ_ONLY_ADMINISTRATOR, tenant_id=TENANT) is None


# --- tokens and answers ---------------------------------------------------------------------


def test_documented_token_answer_with_expires_on() -> None:
    token = parse_token_response(
        {"access_token": "abc", "token_type": "bearer", "expires_on": 1_000_100}, now=1_000_000
    )
    assert (token.value, token.expires_at) == ("abc", 1_000_100)
    assert "abc" not in repr(token)


def test_oauth_expires_in_is_accepted_and_no_token_is_an_error() -> None:
    assert parse_token_response({"access_token": "abc", "expires_in": 60}, now=100).expires_at == 160
    with pytest.raises(ValueError, match="no access_token"):
        parse_token_response({"error": "invalid_client"}, now=0)


def test_token_cache_renews_shortly_before_expiry() -> None:
    now = [1000.0]
    issued: list[AccessToken] = []

    def issue() -> AccessToken:
        token = AccessToken(value=f"t{len(issued)}", issued_at=now[0], expires_at=now[0] + 7200)
        issued.append(token)
        return token

    cache = TokenCache(clock=lambda: now[0])
    first = cache.get(issue)
    now[0] += 7200 - 301
    assert cache.get(issue) is first  # still more than five minutes left
    now[0] += 2
    assert cache.get(issue) is not first and len(issued) == 2
    cache.invalidate(first)  # an old token refused late does not drop the new one
    assert cache.get(issue) is issued[1]


def test_retry_after_as_seconds_or_http_date() -> None:
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "2"}), now=0) == 2.0
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    header = format_datetime(moment + timedelta(seconds=30), usegmt=True)
    assert (
        retry_after_seconds(httpx.Response(429, headers={"Retry-After": header}), now=moment.timestamp())
        == 30.0
    )
    assert retry_after_seconds(httpx.Response(429), now=0) is None


def test_error_detail_reads_both_documented_error_shapes() -> None:
    platform = httpx.Response(
        400, json={"error": {"code": 1006, "message": "It is prohibited", "domain": "x"}}
    )
    oauth = httpx.Response(
        401, json={"error": "invalid_client", "error_description": "Client authentication failed"}
    )
    assert error_detail(platform) == "It is prohibited"
    assert error_detail(oauth) == "Client authentication failed"
    assert error_detail(httpx.Response(502, text="<html>bad gateway</html>")) == "Bad Gateway"
