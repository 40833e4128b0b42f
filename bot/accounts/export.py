"""`/backup export`: a customer's users as a CSV file, in the columns `/backup import` reads
(so the file can be corrected and imported again) plus their state and dates.

UTF-8 with a byte-order mark (Excel then shows accents right), CRLF line ends. Users deleted in
deskops are left out: the file is the customer's users as they are. A cell that a spreadsheet would
run as a formula (starting with `=`, `@`, or `+`/`-` not followed by a digit) is prefixed with `'`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.accounts.imports import COLUMNS, EXPORT_COLUMNS
from bot.accounts.models import BackupUser, Service, ServiceAssignment, UserStatus
from bot.customers.scope import CustomerScope
from bot.customers.service import find_customer
from bot.db import Database

CHUNK = 1000
_FORMULA = re.compile(r"^(=|@|[+-](?!\d)|\t|\r)")
_STATES = {
    UserStatus.PENDING_ACTIVATION: "Pending activation",
    UserStatus.ACTIVE: "Active",
    UserStatus.DISABLED: "Disabled",
}


@dataclass(frozen=True)
class UsersExport:
    customer: str
    file_name: str
    users: int
    data: bytes


def _cell(value: str | None) -> str:
    text = value or ""
    return f"'{text}" if _FORMULA.match(text) else text


def _date(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def _row(user: BackupUser) -> list[str]:
    backup = user.assignment(Service.BACKUP)
    values = [
        user.first_name,
        user.last_name,
        user.email,
        user.role.label,
        user.notification_email,
        user.address,
        user.phone,
        backup.subscription.name if backup else "",
        backup.notification_level.label if backup else "",
        _STATES.get(user.status, user.status.label),
    ]
    return [_cell(v) for v in values] + [_date(user.created_at), _date(user.activated_at)]


def export_users(db: Database, *, customer_text: str, scope: CustomerScope, now: datetime) -> UsersExport:
    """The customer's users (OutOfScope when the person may not act on the customer)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*COLUMNS, *EXPORT_COLUMNS])
    count = 0
    with db.read() as session:
        customer = find_customer(session, customer_text, scope)
        query = (
            select(BackupUser)
            .where(BackupUser.customer_id == customer.id, BackupUser.status != UserStatus.DELETED)
            .options(selectinload(BackupUser.services).selectinload(ServiceAssignment.subscription))
            .order_by(func.lower(BackupUser.last_name), func.lower(BackupUser.first_name), BackupUser.id)
        )
        for user in session.scalars(query.execution_options(yield_per=CHUNK)):
            writer.writerow(_row(user))
            count += 1
        name = customer.name
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "customer"
    file_name = f"{slug}-users-{now:%Y-%m-%d}.csv"
    return UsersExport(
        customer=name, file_name=file_name, users=count, data=b"\xef\xbb\xbf" + out.getvalue().encode()
    )
