"""`deskops users import FILE.csv [--customer NAME]`: the checks and the service of `/backup
import`, in the foreground: every problem listed by row and column (exit 1, nothing created), or
every row added with a progress bar, the rows that failed listed at the end (exit 1 if any)."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import TextIO

from bot.accounts.import_delivery import ImportDelivery
from bot.accounts.import_flow import (
    begin_import,
    check_import_file,
    import_target,
    keep_import,
    progress_of,
    queued_rows,
)
from bot.accounts.import_models import RowState
from bot.accounts.imports import MAX_BYTES
from bot.accounts.user_imports import ImportProgress
from bot.clock import SystemClock
from bot.config import Settings
from bot.customers.scope import EVERY_CUSTOMER
from bot.db import Database
from bot.errors import DomainError
from bot.integrations.backup.factory import build_platform

EXIT_FAILED = 1
ACTOR = "cli"
CHUNK = 20
BAR_WIDTH = 30


def _bar(progress: ImportProgress) -> str:
    done = progress.rows - progress.count(RowState.QUEUED)
    filled = BAR_WIDTH * done // max(progress.rows, 1)
    return (
        f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done:,}/{progress.rows:,} · "
        f"created {progress.count(RowState.CREATED):,} · waiting for approval "
        f"{progress.count(RowState.WAITING_FOR_APPROVAL):,} · failed {progress.count(RowState.FAILED):,}"
    )


def _read(path: Path) -> bytes | None:
    try:
        if path.stat().st_size > MAX_BYTES:
            print(f"{path} is larger than {MAX_BYTES // 1024 // 1024} MB: split it.", file=sys.stderr)
            return None
        return path.read_bytes()
    except OSError as error:
        print(f"cannot read {path}: {error.strerror}", file=sys.stderr)
        return None


def import_users(db: Database, settings: Settings, path: Path, customer_text: str | None) -> int:
    data = _read(path)
    if data is None:
        return EXIT_FAILED
    platform = build_platform(settings)
    clock = SystemClock()
    try:
        chosen = import_target(db, customer_text=customer_text, scope=EVERY_CUSTOMER).chosen
        if chosen is None:
            print(
                "Name the customer: --customer NAME (`deskops customers list` lists them).", file=sys.stderr
            )
            return EXIT_FAILED
        checked = check_import_file(
            db,
            customer_id=chosen[0],
            file_name=path.name,
            data=data,
            scope=EVERY_CUSTOMER,
            phone_region=settings.phone_default_region,
            login_problem=platform.login_problem,
        )
    except DomainError as error:
        print(f"{path} cannot be imported: {error}", file=sys.stderr)
        return EXIT_FAILED
    if checked.checked.errors:
        rows = len({e.row for e in checked.checked.errors})
        for problem in checked.checked.errors:
            print(problem, file=sys.stderr)
        print(
            f"{path}: {rows:,} of {checked.checked.total:,} rows need correcting; nothing was imported.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    import_id = keep_import(
        db, checked, actor=ACTOR, channel_id=None, request_key=f"cli:{uuid.uuid4()}", now=clock.now()
    )
    begin_import(db, import_id, actor=ACTOR, scope=EVERY_CUSTOMER, now=clock.now(), queue_rows=False)
    adding = ImportDelivery(db=db, clock=clock, platform=platform, settings=settings)
    progress = _add_all(db, adding, import_id, sys.stderr)
    return _report(progress, checked.customer_name, path)


def _add_all(db: Database, adding: ImportDelivery, import_id: int, out: TextIO) -> ImportProgress:
    progress = progress_of(db, import_id)
    out.write(_bar(progress))
    while ids := queued_rows(db, import_id, limit=CHUNK):
        adding.add_rows(ids)
        progress = progress_of(db, import_id)
        out.write(_bar(progress))
        out.flush()
    out.write("\n")
    return progress_of(db, import_id, failures_shown=progress.rows)


def _report(progress: ImportProgress, customer: str, path: Path) -> int:
    for failure in progress.failures:
        print(f"Row {failure.row} ({failure.email}): {failure.error}", file=sys.stderr)
    print(
        f"imported {path} for {customer}: {progress.count(RowState.CREATED):,} created, "
        f"{progress.count(RowState.WAITING_FOR_APPROVAL):,} waiting for approval, "
        f"{progress.count(RowState.FAILED):,} failed"
    )
    return EXIT_FAILED if progress.count(RowState.FAILED) else 0
