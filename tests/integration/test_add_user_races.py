"""The Acronis Backup Settings step submitted several times at once (a double click, a Slack
retry racing its original) or by two modals naming one e-mail: one user, one Backup service and
one set of follow-ups; every other submit is told so, and none writes anything half-done."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bot.accounts.adding import BackupSettingsSubmitted, UserAdded, submit_backup_settings
from bot.accounts.administrators import AddNewUser
from bot.accounts.forms import QUOTA_FIELDS, BackupSettingsForm, Field
from bot.accounts.models import BackupRole, BackupUser, NotificationLevel, ServiceAssignment
from bot.audit.models import AuditEvent
from bot.config import load_settings
from bot.customers.scope import EVERY_CUSTOMER
from bot.customers.service import get_customer
from bot.db import Database
from bot.errors import FieldErrors
from bot.outbox.models import OutboxMessage
from tests.support.accounts import ACME, HELEN, NOW, a_new_user, seed_customers

SETTINGS = load_settings(_env_file=None)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def acme(database: Database) -> int:
    return seed_customers(database)[ACME]


def _settings_step(database: Database, acme: int, request_key: str) -> BackupSettingsSubmitted:
    """The settings step of a modal (its `request_key`) adding john.doe@example.com to Acme."""
    with database.read() as session:
        subscription = get_customer(session, acme).subscriptions[0].id
    quotas = dict.fromkeys(QUOTA_FIELDS)
    form = BackupSettingsForm(subscription, NotificationLevel.ERRORS, BackupRole.USER, quotas)
    request = AddNewUser(new_user=a_new_user(acme), request_key=request_key, channel_id="C0HELP001")
    return BackupSettingsSubmitted(request=request, form=form, actor=HELEN, scope=EVERY_CUSTOMER)


def _at_once(database: Database, commands: list[BackupSettingsSubmitted]) -> list[object]:
    """Each command submitted on a thread of its own, all released together; what each got."""
    start = threading.Barrier(len(commands))
    answers: list[object] = [None] * len(commands)

    def run(index: int) -> None:
        start.wait()
        try:
            answers[index] = submit_backup_settings(database, SETTINGS, commands[index], now=NOW)
        except FieldErrors as refused:
            answers[index] = refused

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(commands))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _made(database: Database) -> tuple[int, int, int, int]:
    """Users, Backup services, "user created" audit events and outbox rows."""
    with database.read() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(query) or 0
            for query in (
                select(func.count()).select_from(BackupUser),
                select(func.count()).select_from(ServiceAssignment),
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.created"),
                select(func.count()).select_from(OutboxMessage),
            )
        )


def test_one_settings_step_submitted_four_times_at_once_makes_one_user(database: Database, acme: int) -> None:
    answers = _at_once(database, [_settings_step(database, acme, "modal-1")] * 4)
    created = sorted(answer.created for answer in answers if isinstance(answer, UserAdded))
    assert created == [False, False, False, True]
    # One user with its Backup service, one audit event, provisioning and one card.
    assert _made(database) == (1, 1, 1, 2)


def test_two_modals_naming_one_email_at_once_make_one_user_and_the_other_is_told_on_its_field(
    database: Database, acme: int
) -> None:
    answers = _at_once(database, [_settings_step(database, acme, key) for key in ("modal-1", "modal-2")])
    refused = [answer for answer in answers if isinstance(answer, FieldErrors)]
    assert len(refused) == 1 and list(refused[0].errors) == [Field.EMAIL]
    assert _made(database) == (1, 1, 1, 2)
