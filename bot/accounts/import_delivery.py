"""The outbox handler that adds imported rows, as Add New User adds a user: the sign-in e-mail
checked (in the database, then on the backup platform, outside any transaction), then created or
held for approval in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.accounts.adding import check_emails_free
from bot.accounts.administrators import AddNewUser, create_or_hold
from bot.accounts.import_models import ImportRow, RowState, UserImport
from bot.accounts.user_imports import ImportJob, finish_if_done, values_row
from bot.accounts.users import CreatedUser
from bot.clock import Clock
from bot.config import Settings
from bot.customers.service import get_customer
from bot.db import Database
from bot.errors import DomainError, FieldErrors
from bot.integrations.backup.port import BackupPlatform
from bot.outbox.handlers import Delivery, OutboxHandler, Outcome


def _reason(error: DomainError) -> str:
    if isinstance(error, FieldErrors):
        return "; ".join(f"{column}: {message}" for column, message in error.errors.items())
    return str(error)


@dataclass(frozen=True)
class ImportDelivery:
    db: Database
    clock: Clock
    platform: BackupPlatform
    settings: Settings

    def handlers(self) -> dict[str, OutboxHandler]:
        return {
            ImportJob.ROW: OutboxHandler(
                self.import_row, gave_up=self.row_gave_up, deliver_many=self.import_rows
            )
        }

    def import_row(self, delivery: Delivery) -> None:
        [failed] = self.import_rows([delivery])
        if failed is not None:
            raise failed

    def import_rows(self, deliveries: Sequence[Delivery]) -> list[Outcome]:
        """The rows of one claim: each e-mail checked first (no transaction open), then one
        transaction adds them, each in a savepoint of its own, so what is refused (an e-mail taken
        meanwhile, a sign-in name the platform will not take) fails that row only."""
        self.add_rows([int(delivery.payload["row_id"]) for delivery in deliveries])
        return [None] * len(deliveries)

    def add_rows(self, ids: Sequence[int]) -> None:
        """Add these rows of an import (those still queued); `deskops users import` calls it too."""
        with self.db.read() as session:
            rows = session.execute(
                select(
                    ImportRow.id,
                    ImportRow.import_id,
                    ImportRow.row_number,
                    ImportRow.values,
                    UserImport.channel_id,
                )
                .join(UserImport, UserImport.id == ImportRow.import_id)
                .where(ImportRow.id.in_(ids), ImportRow.state == RowState.QUEUED)
            ).all()
        requests = [
            AddNewUser(
                new_user=values_row(values), request_key=f"import:{import_id}:{number}", channel_id=channel_id
            )
            for _, import_id, number, values, channel_id in rows
        ]
        problems = check_emails_free(self.db, self.platform, requests)
        checked: dict[int, AddNewUser | DomainError] = {
            row.id: problem or request for row, request, problem in zip(rows, requests, problems, strict=True)
        }
        with self.db.transaction() as session:
            self._add(session, checked, now=self.clock.now())

    def _add(self, session: Session, checked: dict[int, AddNewUser | DomainError], *, now: datetime) -> None:
        rows = session.scalars(
            select(ImportRow).where(ImportRow.id.in_(checked)).order_by(ImportRow.id)
        ).all()
        imports = {
            prepared.id: prepared
            for prepared in session.scalars(
                select(UserImport).where(UserImport.id.in_({row.import_id for row in rows}))
            )
        }
        # Held here for the whole claim: the session's identity map keeps only what is referenced,
        # and each row's creation looks its customer up again.
        _held_customers = [
            get_customer(session, customer_id)
            for customer_id in {r.new_user.customer_id for r in checked.values() if isinstance(r, AddNewUser)}
        ]
        for row in rows:
            request = checked[row.id]
            if row.state is not RowState.QUEUED:
                continue
            prepared = imports[row.import_id]
            if isinstance(request, DomainError):
                row.state, row.error = RowState.FAILED, _reason(request)[:1000]
                continue
            try:
                with session.begin_nested():
                    actor = prepared.started_by or prepared.created_by
                    result = create_or_hold(
                        session, self.settings, request, actor=actor, now=now, notify_channels=()
                    )
            except DomainError as error:
                row.state, row.error = RowState.FAILED, _reason(error)[:1000]
                continue
            if isinstance(result, CreatedUser):
                row.state, row.user_id = RowState.CREATED, result.user_id
            else:
                row.state = RowState.WAITING_FOR_APPROVAL
        for prepared in imports.values():
            finish_if_done(session, prepared, now=now)

    def row_gave_up(self, delivery: Delivery, reason: str) -> None:
        with self.db.transaction() as session:
            row = session.get(ImportRow, int(delivery.payload["row_id"]))
            if row is None or row.state is not RowState.QUEUED:
                return
            row.state, row.error = RowState.FAILED, reason[:1000]
            prepared = session.get(UserImport, row.import_id)
            assert prepared is not None
            finish_if_done(session, prepared, now=self.clock.now())
