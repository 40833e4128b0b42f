"""The outbox handler that creates one imported row, through Add New User's service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.accounts.import_models import ImportRow, RowState, UserImport
from bot.accounts.user_imports import CreateOrHold, ImportJob, finish_if_done, values_row
from bot.accounts.users import CreatedUser
from bot.clock import Clock
from bot.db import Database
from bot.errors import DomainError, FieldErrors
from bot.outbox.worker import Delivery, OutboxHandler, Outcome


def _reason(error: DomainError) -> str:
    if isinstance(error, FieldErrors):
        return "; ".join(f"{column}: {message}" for column, message in error.errors.items())
    return str(error)


@dataclass(frozen=True)
class ImportDelivery:
    db: Database
    clock: Clock
    create: CreateOrHold

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
        """The rows of one claim in one transaction, each created (or its approval request made)
        once, in a savepoint of its own: what the service refuses (an e-mail taken meanwhile, a
        sign-in name the platform will not take) fails that row only."""
        now = self.clock.now()
        imports: dict[int, UserImport] = {}
        with self.db.transaction() as session:
            for delivery in deliveries:
                row = session.get(ImportRow, int(delivery.payload["row_id"]))
                if row is None or row.state is not RowState.QUEUED:
                    continue
                prepared = imports.get(row.import_id) or session.get(UserImport, row.import_id)
                assert prepared is not None
                imports[prepared.id] = prepared
                self._create(session, prepared, row, now)
            for prepared in imports.values():
                finish_if_done(session, prepared, now=now)
        return [None] * len(deliveries)

    def _create(self, session: Session, prepared: UserImport, row: ImportRow, now: datetime) -> None:
        new_user, backup = values_row(row.values)
        try:
            with session.begin_nested():
                result = self.create(
                    session,
                    new_user=new_user,
                    backup=backup,
                    actor=prepared.started_by or prepared.created_by,
                    now=now,
                    request_key=f"import:{prepared.id}:{row.row_number}",
                    channel_id=prepared.channel_id,
                )
        except DomainError as error:
            row.state, row.error = RowState.FAILED, _reason(error)[:1000]
            return
        if isinstance(result, CreatedUser):
            row.state, row.user_id = RowState.CREATED, result.user.id
        else:
            row.state = RowState.WAITING_FOR_APPROVAL

    def row_gave_up(self, delivery: Delivery, reason: str) -> None:
        with self.db.transaction() as session:
            row = session.get(ImportRow, int(delivery.payload["row_id"]))
            if row is None or row.state is not RowState.QUEUED:
                return
            row.state, row.error = RowState.FAILED, reason[:1000]
            prepared = session.get(UserImport, row.import_id)
            assert prepared is not None
            finish_if_done(session, prepared, now=self.clock.now())
