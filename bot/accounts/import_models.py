"""A CSV import of backup users: checked rows waiting for **Import**, then created one by one."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.customers.models import Customer
from bot.db import Base


class RowState(StrEnum):
    QUEUED = "queued"
    CREATED = "created"
    # An Administrator row held for an approver (APPROVAL_ADMINISTRATORS).
    WAITING_FOR_APPROVAL = "waiting_for_approval"
    FAILED = "failed"


class UserImport(Base):
    __tablename__ = "user_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    channel_id: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    # Set once, by the one **Import** that queues the rows (double clicks and retries find it set).
    started_at: Mapped[datetime | None]
    started_by: Mapped[str | None] = mapped_column(String(40))
    finished_at: Mapped[datetime | None]
    rows: Mapped[int]
    # The checking request (the modal's key and the file): checking the same file again finds it.
    request_key: Mapped[str] = mapped_column(String(200), unique=True)

    customer: Mapped[Customer] = relationship()


class ImportRow(Base):
    __tablename__ = "user_import_rows"
    __table_args__ = (
        UniqueConstraint("import_id", "row_number"),
        Index("ix_user_import_rows_import_id_state", "import_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("user_imports.id", ondelete="CASCADE"))
    # As a spreadsheet numbers it (the header is row 1).
    row_number: Mapped[int]
    email: Mapped[str] = mapped_column(String(320))
    # The checked row: a NewUser (bot/accounts/forms.py) as JSON, read back checked again.
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[RowState] = mapped_column(
        Enum(
            RowState,
            name="import_row_state",
            native_enum=False,
            length=40,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    error: Mapped[str | None] = mapped_column(String(1000))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("backup_users.id", ondelete="SET NULL"))
