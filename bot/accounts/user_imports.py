"""A checked CSV import: kept for **Import**, then every row created through the outbox by the
service of Add New User (Administrators held for approval as that service decides), its progress
counted for the card that follows it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bot.accounts.forms import NewUser
from bot.accounts.import_models import ImportRow, RowState, UserImport
from bot.accounts.imports import CheckedFile, CheckedRow, CustomerRules
from bot.accounts.models import BackupUser
from bot.audit.service import record
from bot.customers.service import get_customer
from bot.errors import InvalidState, NotFound
from bot.once import insert_once, spend_once
from bot.outbox.service import enqueue, enqueue_many, enqueue_once

ROW_CHUNK = 1000
# How often a card of an import still running looks again (see settle_import).
POLL = timedelta(seconds=5)


class ImportJob(StrEnum):
    """Outbox kinds of imports (rows: bot/accounts/import_delivery.py; cards: bot/slack/import_cards.py)."""

    ROW = "accounts.import_row"
    CARD = "accounts.import_card"
    CARD_REFRESH = "accounts.import_card_refresh"


def customer_rules(
    session: Session, customer_id: int, *, phone_region: str, login_problem: Any
) -> CustomerRules:
    customer = get_customer(session, customer_id)
    existing = session.scalars(select(BackupUser.email_key).where(BackupUser.customer_id == customer_id))
    return CustomerRules(
        customer_id=customer.id,
        customer_name=customer.name,
        subscriptions={s.name: s.id for s in customer.subscriptions},
        existing_emails=frozenset(existing),
        phone_region=phone_region,
        login_problem=login_problem,
    )


def row_values(row: CheckedRow) -> dict[str, Any]:
    """The checked row as Add New User's request carries it (its Backup settings inside)."""
    return row.new_user.model_copy(update={"backup": row.backup}).model_dump(mode="json")


def values_row(values: dict[str, Any]) -> NewUser:
    return NewUser.model_validate(values)


def prepare_import(
    session: Session,
    *,
    customer_id: int,
    checked: CheckedFile,
    file_name: str,
    actor: str,
    channel_id: str | None,
    request_key: str,
    now: datetime,
) -> UserImport:
    """Keep a file whose every row passed for **Import** (the same file checked again: the same
    import)."""
    if checked.errors or not checked.rows:
        raise InvalidState("Only a file without errors can be imported.")
    prepared, new = insert_once(
        session,
        UserImport(
            customer_id=customer_id,
            file_name=file_name[:255],
            channel_id=channel_id,
            created_by=actor,
            created_at=now,
            rows=len(checked.rows),
            request_key=request_key,
        ),
        lambda: session.scalar(select(UserImport).where(UserImport.request_key == request_key)),
    )
    if new:
        for start in range(0, len(checked.rows), ROW_CHUNK):
            rows = checked.rows[start : start + ROW_CHUNK]
            session.execute(
                insert(ImportRow),
                [
                    {
                        "import_id": prepared.id,
                        "row_number": row.row,
                        "email": row.new_user.email,
                        "values": row_values(row),
                        "state": RowState.QUEUED,
                    }
                    for row in rows
                ],
            )
    return prepared


def start_import(
    session: Session, import_id: int, *, actor: str, now: datetime, queue_rows: bool = True
) -> tuple[UserImport, bool]:
    """Queue every row (True), once: a double click or a retried request finds it started (False).
    Without `queue_rows` the caller adds the rows itself (`deskops users import`, in the foreground)."""
    prepared = session.get(UserImport, import_id)
    if prepared is None:
        raise NotFound("That import no longer exists; choose the file again.")
    if not spend_once(session, UserImport.started_at, import_id, now):
        session.refresh(prepared)
        return prepared, False
    prepared.started_by = actor
    ids = session.scalars(
        select(ImportRow.id).where(ImportRow.import_id == import_id).order_by(ImportRow.row_number)
    ).all()
    if queue_rows:
        enqueue_many(
            session,
            kind=ImportJob.ROW,
            payloads=[{"row_id": i} for i in ids],
            now=now,
            group_key=group(import_id),
        )
    if prepared.channel_id:
        enqueue(
            session,
            kind=ImportJob.CARD,
            payload={"import_id": import_id, "requester": actor},
            now=now,
            dedupe_key=f"import-card:{import_id}",
        )
    record(
        session,
        actor=actor,
        action="users.import_started",
        target=prepared.file_name,
        now=now,
        customer_id=prepared.customer_id,
        details={"import_id": import_id, "rows": len(ids)},
    )
    return prepared, True


def group(import_id: int) -> str:
    return f"user-import:{import_id}"


def refresh_import_card(session: Session, import_id: int, *, now: datetime, final: bool = False) -> None:
    """At most one card update per 2 seconds while rows are created (Slack limits chat.update),
    and one when the last row is done."""
    slot = "final" if final else str(int(now.timestamp() // 2))
    enqueue_once(
        session,
        kind=ImportJob.CARD_REFRESH,
        payload={"import_id": import_id},
        now=now,
        dedupe_key=f"import-refresh:{import_id}:{slot}",
    )


def finish_if_done(session: Session, prepared: UserImport, *, now: datetime) -> None:
    queued = session.scalar(
        select(ImportRow.id)
        .where(ImportRow.import_id == prepared.id, ImportRow.state == RowState.QUEUED)
        .limit(1)
    )
    if queued is None and prepared.finished_at is None:
        prepared.finished_at = now
        refresh_import_card(session, prepared.id, now=now, final=True)
    else:
        refresh_import_card(session, prepared.id, now=now)


@dataclass(frozen=True)
class RowFailure:
    row: int
    email: str
    error: str


@dataclass(frozen=True)
class ImportProgress:
    import_id: int
    customer: str
    file_name: str
    started_by: str | None
    finished: bool
    rows: int
    counts: dict[RowState, int]
    failures: Sequence[RowFailure]

    def count(self, state: RowState) -> int:
        return self.counts.get(state, 0)


def settle_import(session: Session, import_id: int, *, now: datetime) -> ImportProgress:
    """The progress as the card shows it. Rows finished by concurrent transactions can each see
    the other still queued, so the card does not rely on the last row noticing it was last: while
    rows remain it looks again in a few seconds, and the first look that finds none finishes it."""
    progress = import_progress(session, import_id)
    prepared = session.get(UserImport, import_id)
    assert prepared is not None
    if progress.count(RowState.QUEUED) == 0:
        if prepared.finished_at is None:
            prepared.finished_at = now
        return replace(progress, finished=True)
    enqueue(
        session,
        kind=ImportJob.CARD_REFRESH,
        payload={"import_id": import_id},
        now=now,
        delay=POLL,
        dedupe_key=f"import-poll:{import_id}:{int(now.timestamp() // POLL.total_seconds())}",
    )
    return progress


def import_progress(session: Session, import_id: int, *, failures_shown: int = 10) -> ImportProgress:
    prepared = session.get(UserImport, import_id)
    if prepared is None:
        raise NotFound("That import no longer exists.")
    counts = {
        RowState(state): int(n)
        for state, n in session.execute(
            select(ImportRow.state, func.count())
            .where(ImportRow.import_id == import_id)
            .group_by(ImportRow.state)
        )
    }
    failed = session.execute(
        select(ImportRow.row_number, ImportRow.email, ImportRow.error)
        .where(ImportRow.import_id == import_id, ImportRow.state == RowState.FAILED)
        .order_by(ImportRow.row_number)
        .limit(failures_shown)
    ).all()
    return ImportProgress(
        import_id=import_id,
        customer=prepared.customer.name,
        file_name=prepared.file_name,
        started_by=prepared.started_by,
        finished=prepared.finished_at is not None,
        rows=prepared.rows,
        counts=counts,
        failures=[RowFailure(int(n), str(e), str(error or "")) for n, e, error in failed],
    )
