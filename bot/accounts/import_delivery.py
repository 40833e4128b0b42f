"""The outbox handler that creates one imported row, through Add New User's service."""

from __future__ import annotations

from dataclasses import dataclass

from bot.accounts.import_models import ImportRow, RowState, UserImport
from bot.accounts.user_imports import CreateOrHold, ImportJob, finish_if_done, values_row
from bot.accounts.users import CreatedUser
from bot.clock import Clock
from bot.db import Database
from bot.errors import DomainError, FieldErrors
from bot.outbox.worker import Delivery, OutboxHandler


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
        return {ImportJob.ROW: OutboxHandler(self.import_row, gave_up=self.row_gave_up)}

    def import_row(self, delivery: Delivery) -> None:
        """Create the row's user (or its approval request) once; what the service refuses (an
        e-mail taken meanwhile, a name the platform will not take) fails this row only."""
        row_id = int(delivery.payload["row_id"])
        now = self.clock.now()
        with self.db.transaction() as session:
            row = session.get(ImportRow, row_id)
            if row is None or row.state is not RowState.QUEUED:
                return
            prepared = session.get(UserImport, row.import_id)
            assert prepared is not None
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
            else:
                if isinstance(result, CreatedUser):
                    row.state, row.user_id = RowState.CREATED, result.user.id
                else:
                    row.state = RowState.WAITING_FOR_APPROVAL
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
