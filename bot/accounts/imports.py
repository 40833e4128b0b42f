"""Backup users from a CSV file (`/backup import`, `deskops users import`): the file read and every
row checked with the rules of the Add New User modal, before anything is created.

The file: UTF-8 (with or without the byte-order mark Excel writes), comma- or semicolon-separated
(Excel in German, French and Dutch saves with semicolons), a header row naming the columns in any
order. Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from bot.accounts.forms import (
    BackupSettings,
    BackupSettingsForm,
    NewUser,
    NewUserForm,
    check_backup_settings,
    check_new_user,
)
from bot.accounts.models import BackupRole, NotificationLevel, Role
from bot.errors import DomainError, FieldErrors

COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "role",
    "notification_email",
    "address",
    "phone",
    "subscription",
    "notifications",
)
REQUIRED_COLUMNS = ("first_name", "last_name", "email")
# What `/backup export` adds after COLUMNS: an exported file imports again, these ignored.
EXPORT_COLUMNS = ("state", "created_at", "activated_at")
# Slack's file input takes files up to 10 MB; 10,000 rows of these columns are about 2 MB.
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
_NOTIFICATIONS = {
    **{level.value: level for level in NotificationLevel},
    **{level.label.lower(): level for level in NotificationLevel},
}
_ROLES = {**{r.value: r for r in Role}, **{r.label.lower(): r for r in Role}}


class ImportFileError(DomainError):
    """The file as a whole cannot be read as a user list (the text says how to fix it)."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}"


@dataclass(frozen=True)
class CheckedRow:
    row: int
    new_user: NewUser
    backup: BackupSettings | None


@dataclass(frozen=True)
class CheckedFile:
    rows: list[CheckedRow]
    errors: list[RowError]

    @property
    def total(self) -> int:
        """Data rows in the file (valid or not)."""
        return len(self.rows) + len({e.row for e in self.errors})

    @property
    def administrators(self) -> int:
        return sum(1 for r in self.rows if r.new_user.role is Role.ADMINISTRATOR)


@dataclass(frozen=True)
class CustomerRules:
    """What a row is checked against besides its own values."""

    customer_id: int
    customer_name: str
    # Subscription name -> id (the names as the customer has them).
    subscriptions: Mapping[str, int]
    # Sign-in e-mails (lower-cased) the customer's users have already.
    existing_emails: frozenset[str]
    phone_region: str
    # The backup platform's refusal of a sign-in name (its character set), or None.
    login_problem: Callable[[str], str | None] = field(default=lambda login: None)


def decode(data: bytes) -> str:
    if not data.strip():
        raise ImportFileError("The file is empty: it needs a header row and one row per user.")
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; at most {MAX_BYTES // 1024 // 1024} MB "
            f"({MAX_ROWS:,} users) can be imported at once: split it."
        )
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            "This is an Excel workbook, not a CSV file: in Excel choose File > Save As > CSV UTF-8."
        )
    if b"\x00" in data:
        raise ImportFileError("This is not a CSV text file (it holds binary data).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"The file is not UTF-8 text (byte {error.start + 1} cannot be read): "
            "save it as CSV UTF-8 (Excel: File > Save As > CSV UTF-8)."
        ) from None


def read_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(row number, values by column) of every non-empty data row; ImportFileError when the file
    is not a CSV with the expected header."""
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        columns = _check_header(header)
        rows: list[tuple[int, dict[str, str]]] = []
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise ImportFileError(
                    f"The file has more than {MAX_ROWS:,} users; import at most {MAX_ROWS:,} at once: split it."
                )
            if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
                raise ImportFileError(
                    f"Row {number} has {len(cells)} values but the header names {len(columns)} columns: "
                    "put values with commas in double quotes."
                )
            rows.append((number, dict(zip(columns, cells, strict=False))))
    except csv.Error as error:
        raise ImportFileError(
            f"This is not a well-formed CSV file (row {reader.line_num}: {error})."
        ) from None
    if not rows:
        raise ImportFileError("The file has a header but no users: add one row per user.")
    return rows


def _check_header(header: list[str]) -> list[str]:
    if not any(header):
        raise ImportFileError(f"The first row must name the columns: {','.join(COLUMNS)}.")
    unknown = [name for name in header if name not in COLUMNS and name not in EXPORT_COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    doubled = sorted({name for name in header if header.count(name) > 1})
    problems = []
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown {', '.join(repr(n) for n in unknown)}")
    if doubled:
        problems.append(f"twice {', '.join(doubled)}")
    if problems:
        raise ImportFileError(
            f"The header row is not right ({'; '.join(problems)}). The columns are: {','.join(COLUMNS)} "
            "(first_name, last_name and email required)."
        )
    return header


def check_rows(rows: Iterable[tuple[int, dict[str, str]]], rules: CustomerRules) -> CheckedFile:
    """Every row checked as Add New User checks its modal, plus sign-in e-mails repeated within the
    file or already used by one of the customer's users."""
    checked: list[CheckedRow] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    for number, values in rows:
        try:
            row = check_row(number, values, rules)
        except FieldErrors as error:
            errors.extend(RowError(number, column, message) for column, message in error.errors.items())
            continue
        key = row.new_user.email.lower()
        if key in first_row_of:
            errors.append(RowError(number, "email", f"the same e-mail as row {first_row_of[key]}."))
            continue
        first_row_of[key] = number
        checked.append(row)
    return CheckedFile(rows=checked, errors=errors)


def check_row(number: int, values: Mapping[str, str], rules: CustomerRules) -> CheckedRow:
    def value(column: str) -> str:
        return (values.get(column) or "").strip()

    role = _ROLES.get(value("role").lower() or "user")
    form = NewUserForm(
        customer_id=rules.customer_id,
        first_name=value("first_name"),
        last_name=value("last_name"),
        email=value("email"),
        role=role or Role.USER,
        address=value("address"),
        phone=value("phone"),
        separate_notification_email=bool(value("notification_email")),
        notification_email=value("notification_email"),
        assign_backup=bool(value("subscription") or value("notifications")),
    )
    errors: dict[str, str] = {}
    if role is None:
        errors["role"] = f"{value('role')!r} is not a role: enter User or Administrator."
    new_user: NewUser | None = None
    try:
        new_user = check_new_user(form, phone_region=rules.phone_region)
    except FieldErrors as error:
        errors.update(error.errors)
    if new_user is not None:
        problem = rules.login_problem(new_user.email)
        if new_user.email.lower() in rules.existing_emails:
            errors["email"] = f"{rules.customer_name} already has a user with this e-mail."
        elif problem:
            errors["email"] = problem
    backup = _backup(form, value("subscription"), value("notifications"), rules, errors)
    if errors or new_user is None:
        raise FieldErrors(errors)
    return CheckedRow(row=number, new_user=new_user, backup=backup)


def _backup(
    form: NewUserForm, subscription: str, notifications: str, rules: CustomerRules, errors: dict[str, str]
) -> BackupSettings | None:
    """Backup is assigned when the row names a subscription or notifications (a customer with one
    subscription needs only the notifications, as the modal chooses it silently)."""
    if not form.assign_backup:
        return None
    by_name = {name.lower(): sub_id for name, sub_id in rules.subscriptions.items()}
    subscription_id = by_name.get(subscription.lower()) if subscription else None
    if subscription and subscription_id is None:
        names = ", ".join(rules.subscriptions) or "none"
        errors["subscription"] = f"{subscription!r} is not a subscription of {rules.customer_name} ({names})."
        return None
    if not subscription and len(rules.subscriptions) > 1:
        names = ", ".join(rules.subscriptions)
        errors["subscription"] = f"Enter one of the subscriptions of {rules.customer_name}: {names}."
        return None
    level = _NOTIFICATIONS.get(notifications.lower())
    if not notifications:
        errors["notifications"] = "Enter the notifications: None, Errors only, Errors and warnings or All."
        return None
    if level is None:
        errors["notifications"] = (
            f"{notifications!r} is not a notification setting: None, Errors only, Errors and warnings or All."
        )
        return None
    backup_form = BackupSettingsForm(
        subscription_id=subscription_id,
        notification_level=level,
        backup_role=BackupRole.ADMINISTRATOR if form.role is Role.ADMINISTRATOR else BackupRole.USER,
        quotas={},
    )
    try:
        return check_backup_settings(backup_form, subscription_ids=list(rules.subscriptions.values()))
    except FieldErrors as error:
        errors.update(error.errors)
        return None
