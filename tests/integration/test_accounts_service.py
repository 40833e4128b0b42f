"""Account services on the real databases (SQLite and PostgreSQL), each test rolled back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.accounts.activation import (
    ActivationLinkInvalid,
    TokenProblem,
    activate,
    request_activation,
    user_for_token,
)
from bot.accounts.forms import BackupSettings, Field, NewUser
from bot.accounts.models import BackupRole, NotificationLevel, Role, UserStatus
from bot.accounts.queries import find_user, get_user
from bot.accounts.users import create_user
from bot.customers.service import CustomerFile, find_customer, import_customers
from bot.db import Database
from bot.errors import Ambiguous, FieldErrors, NotFound
from bot.integrations.backup.local import LocalBackupPlatform
from bot.integrations.backup.port import Quotas
from bot.outbox.models import OutboxMessage
from bot.tokens import LinkTokens, hash_token

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
PLATFORM = LocalBackupPlatform()
TOKENS = LinkTokens(b"k" * 32)


def seed(db: Database) -> dict[str, int]:
    document = CustomerFile.model_validate(
        {
            "customers": [
                {
                    "name": "Acme Corporation",
                    "subscriptions": ["PAYG", "Capped Storage", "Microsoft Office 365"],
                },
                {"name": "Globex Logistics", "subscriptions": ["PAYG"]},
            ]
        }
    )
    with db.transaction() as session:
        import_customers(session, document, now=NOW)
        return {c: find_customer(session, c).id for c in ("Acme Corporation", "Globex Logistics")}


def new_user(customer_id: int, email: str = "john.doe@example.com") -> NewUser:
    return NewUser(
        customer_id=customer_id,
        first_name="John",
        last_name="Doe",
        email=email,
        role=Role.USER,
        address=None,
        phone=None,
        notification_email=None,
    )


def test_sign_in_email_is_unique_per_customer_case_insensitively(db: Database) -> None:
    ids = seed(db)
    with db.transaction() as session:
        create_user(
            session,
            new_user=new_user(ids["Acme Corporation"]),
            actor="U1",
            now=NOW,
            request_key="k1",
            notify_channels=["C1"],
        )
    with pytest.raises(FieldErrors) as error, db.transaction() as session:
        create_user(
            session,
            new_user=new_user(ids["Acme Corporation"], "JOHN.DOE@Example.com"),
            actor="U1",
            now=NOW,
            request_key="k2",
            notify_channels=["C1"],
        )
    assert error.value.errors == {Field.EMAIL: "A user with this email already exists for Acme Corporation."}
    # The same address at another customer is a different account.
    with db.transaction() as session:
        other = create_user(
            session,
            new_user=new_user(ids["Globex Logistics"]),
            actor="U1",
            now=NOW,
            request_key="k3",
            notify_channels=[],
        )
        assert other.created


def test_repeated_request_key_returns_the_first_user_and_queues_nothing_more(db: Database) -> None:
    ids = seed(db)
    with db.transaction() as session:
        first = create_user(
            session,
            new_user=new_user(ids["Acme Corporation"]),
            actor="U1",
            now=NOW,
            request_key="same",
            notify_channels=["C1"],
        )
        queued = len(session.scalars(select(OutboxMessage)).all())
    with db.transaction() as session:
        again = create_user(
            session,
            new_user=new_user(ids["Acme Corporation"]),
            actor="U1",
            now=NOW,
            request_key="same",
            notify_channels=["C1"],
        )
        assert not again.created
        assert again.user_id == first.user_id
        assert len(session.scalars(select(OutboxMessage)).all()) == queued


def test_backup_assignment_keeps_quotas_and_unlimited(db: Database) -> None:
    ids = seed(db)
    with db.transaction() as session:
        acme = find_customer(session, "acme")
        capped = next(s for s in acme.subscriptions if s.name == "Capped Storage")
        settings = BackupSettings(
            subscription_id=capped.id,
            notification_level=NotificationLevel.ERRORS,
            backup_role=BackupRole.USER,
            quotas=Quotas(storage_gb=250, workstations=2),
        )
        created = create_user(
            session,
            new_user=new_user(ids["Acme Corporation"]).model_copy(update={"backup": settings}),
            actor="U1",
            now=NOW,
            request_key="k",
            notify_channels=[],
        )
        [assignment] = get_user(session, created.user_id).services
        assert assignment.subscription.name == "Capped Storage"
        assert (assignment.quota_storage_gb, assignment.quota_workstations, assignment.quota_servers) == (
            250,
            2,
            None,
        )


def test_find_user_names_close_matches_and_ambiguity(db: Database) -> None:
    ids = seed(db)
    with db.transaction() as session:
        for customer in ids.values():
            create_user(
                session,
                new_user=new_user(customer),
                actor="U1",
                now=NOW,
                request_key=f"k{customer}",
                notify_channels=[],
            )
    with pytest.raises(NotFound) as missing, db.transaction() as session:
        find_user(session, "jon.doe@example.com")
    assert "john.doe@example.com" in missing.value.suggestions
    with pytest.raises(Ambiguous), db.transaction() as session:
        find_user(session, "john.doe@example.com")
    with db.transaction() as session:
        assert find_user(session, "John.Doe@example.com", "globex").customer.name == "Globex Logistics"


def test_activation_link_is_single_use_and_expires(db: Database) -> None:
    ids = seed(db)
    with db.transaction() as session:
        user = get_user(
            session,
            create_user(
                session,
                new_user=new_user(ids["Acme Corporation"]),
                actor="U1",
                now=NOW,
                request_key="k",
                notify_channels=[],
            ).user_id,
        )
        request = request_activation(
            session,
            user_id=user.id,
            actor="U1",
            now=NOW,
            platform=PLATFORM,
            valid_for=timedelta(days=7),
            tokens=TOKENS,
        )
        assert request.queued
        # A second click within a minute is a double click: nothing new is queued.
        assert not request_activation(
            session,
            user_id=user.id,
            actor="U1",
            now=NOW + timedelta(seconds=5),
            platform=PLATFORM,
            valid_for=timedelta(days=7),
            tokens=TOKENS,
        ).queued
        token_row = user_for_token_row(session, user.id)
        token_row.token_hash = hash_token("secret-token-value")
    with pytest.raises(ActivationLinkInvalid) as expired, db.transaction() as session:
        user_for_token(session, "secret-token-value", now=NOW + timedelta(days=7, seconds=1))
    assert expired.value.problem is TokenProblem.EXPIRED
    with pytest.raises(FieldErrors), db.transaction() as session:
        activate(session, token="secret-token-value", password="short", confirmation="short", now=NOW)
    with db.transaction() as session:
        activated = activate(
            session,
            token="secret-token-value",
            password="correct horse battery",
            confirmation="correct horse battery",
            now=NOW,
        )
        assert activated.status is UserStatus.ACTIVE
        assert activated.password_hash and "correct horse" not in activated.password_hash
    with pytest.raises(ActivationLinkInvalid) as used, db.transaction() as session:
        user_for_token(session, "secret-token-value", now=NOW)
    assert used.value.problem is TokenProblem.USED


def user_for_token_row(session, user_id):  # type: ignore[no-untyped-def]
    from bot.accounts.models import ActivationToken

    return session.scalars(
        select(ActivationToken).where(
            ActivationToken.user_id == user_id, ActivationToken.revoked_at.is_(None)
        )
    ).one()
