"""`/backup import`: the **Import Users** modal (a CSV file input), its preview before **Import**,
the progress card in the channel; and the message that carries `/backup export`'s file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    InputBlock,
    SectionBlock,
)
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View

from blocks.backup.fields import customer_select
from blocks.backup.metadata import _Carried
from blocks.text import SECTION_TEXT_MAX, escape, mention, mrkdwn, plain
from bot.accounts.import_models import RowState
from bot.accounts.imports import COLUMNS, MAX_ROWS, CheckedRow, RowError
from bot.accounts.user_imports import ImportProgress
from bot.customers.service import CustomerSummary

TITLE = "Import Users"
# Rows shown in the preview, and problems listed: the rest are counted (a modal holds 100 blocks
# and a section 3,000 characters; `deskops users import` lists every one).
PREVIEW_ROWS = 10
PROBLEMS_SHOWN = 40


class ImportCallback(StrEnum):
    CHECK = "backup.import_users"
    CONFIRM = "backup.import_users.confirm"


class ImportBlock(StrEnum):
    FILE = "import_file"


class ImportMetadata(_Carried):
    request_key: str
    channel_id: str | None
    # Set when the customer is fixed (named in the command, or the only one in scope).
    customer_id: int | None
    customer_name: str | None


class ImportConfirmMetadata(_Carried):
    import_id: int
    channel_id: str | None


@dataclass(frozen=True)
class ImportPreview:
    import_id: int
    customer: str
    file_name: str
    rows: Sequence[CheckedRow]
    total: int
    administrators: int
    # Whether Administrator rows wait for an approver (the approval policy).
    administrators_held: bool


def _columns_text() -> str:
    return (
        f"A CSV file (UTF-8, up to {MAX_ROWS:,} users) with a header row naming the columns "
        f"`{','.join(COLUMNS)}`: one user a row; `first_name`, `last_name` and `email` are required, "
        "`role` is `User` (empty) or `Administrator` (then `address` and `phone` are required too). "
        "`subscription` and `notifications` assign Backup. Every row is checked before anything is created."
    )


def import_users_modal(
    metadata: ImportMetadata,
    *,
    customers: Sequence[CustomerSummary] = (),
    problems: Sequence[RowError] = (),
    rows_with_problems: int = 0,
    file_name: str | None = None,
    notice: str | None = None,
) -> View:
    blocks: list[Block] = [SectionBlock(text=mrkdwn(_columns_text()))]
    if metadata.customer_name:
        blocks.append(ContextBlock(elements=[mrkdwn(f"Customer: *{escape(metadata.customer_name)}*")]))
    else:
        blocks.append(customer_select(customers))
    if notice:
        blocks.extend([DividerBlock(), SectionBlock(text=mrkdwn(f":warning: {escape(notice)}"))])
    if problems:
        blocks.extend(problem_blocks(problems, rows_with_problems=rows_with_problems, file_name=file_name))
    blocks.append(
        InputBlock(
            block_id=ImportBlock.FILE,
            label=plain("CSV file"),
            hint=plain(
                "Choose the file again after correcting it." if problems or notice else "One .csv file."
            ),
            element=FileInputElement(action_id=ImportBlock.FILE, filetypes=["csv"], max_files=1),
        )
    )
    return View(
        type="modal",
        callback_id=ImportCallback.CHECK,
        title=plain(TITLE, 24),
        submit=plain("Check", 24),
        close=plain("Cancel", 24),
        private_metadata=metadata.model_dump_json(),
        blocks=blocks,
    )


def problem_blocks(
    problems: Sequence[RowError], *, rows_with_problems: int, file_name: str | None
) -> list[Block]:
    """Each problem as `Row N, column: message`, in sections within Block Kit's limits."""
    name = f"*{escape(file_name)}*" if file_name else "The file"
    head = (
        f":warning: {name}: {rows_with_problems:,} row{'s' if rows_with_problems != 1 else ''} "
        "need correcting. Nothing was imported. Rows are numbered as in a spreadsheet (the header is row 1)."
    )
    blocks: list[Block] = [DividerBlock(), SectionBlock(text=mrkdwn(head))]
    lines = [f"• {escape(str(problem))}" for problem in problems[:PROBLEMS_SHOWN]]
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > SECTION_TEXT_MAX - 100:
            blocks.append(SectionBlock(text=mrkdwn("\n".join(chunk))))
            chunk = []
        chunk.append(line[:1000])
    if chunk:
        blocks.append(SectionBlock(text=mrkdwn("\n".join(chunk))))
    if len(problems) > PROBLEMS_SHOWN:
        more = len(problems) - PROBLEMS_SHOWN
        blocks.append(
            ContextBlock(
                elements=[
                    mrkdwn(
                        f"…and {more:,} more. `deskops users import FILE.csv --customer NAME` lists every one."
                    )
                ]
            )
        )
    return blocks


def import_checking_modal(metadata: ImportMetadata, *, external_id: str) -> View:
    """Shown at once while the file is read and checked (a large file takes longer than Slack
    waits for an answer to Submit)."""
    customer = f" for *{escape(metadata.customer_name)}*" if metadata.customer_name else ""
    return View(
        type="modal",
        callback_id=ImportCallback.CHECK,
        external_id=external_id,
        title=plain(TITLE, 24),
        close=plain("Cancel", 24),
        private_metadata=metadata.model_dump_json(),
        blocks=[
            SectionBlock(text=mrkdwn(f":hourglass_flowing_sand: Reading and checking the file{customer}…"))
        ],
    )


def _row_line(row: CheckedRow) -> str:
    user = row.new_user
    backup = "Backup" if row.backup is not None else "no services"
    return (
        f"Row {row.row} · {escape(user.first_name)} {escape(user.last_name)} · {escape(user.email)} · "
        f"{user.role.label} · {backup}"
    )


def import_preview_modal(metadata: ImportConfirmMetadata, preview: ImportPreview) -> View:
    admins = ""
    if preview.administrators:
        held = " (each sent for approval)" if preview.administrators_held else ""
        admins = f", {preview.administrators:,} of them Administrator{'s' if preview.administrators != 1 else ''}{held}"
    summary = (
        f":white_check_mark: *{escape(preview.file_name)}*: every row is fine.\n"
        f"*{preview.total:,}* user{'s' if preview.total != 1 else ''} for *{escape(preview.customer)}*{admins}."
    )
    lines = "\n".join(_row_line(row) for row in preview.rows[:PREVIEW_ROWS])
    more = preview.total - min(len(preview.rows), PREVIEW_ROWS)
    blocks: list[Block] = [
        SectionBlock(text=mrkdwn(summary)),
        DividerBlock(),
        SectionBlock(text=mrkdwn(lines)),
    ]
    if more > 0:
        blocks.append(ContextBlock(elements=[mrkdwn(f"…and {more:,} more.")]))
    where = f" in <#{metadata.channel_id}>" if metadata.channel_id else ""
    blocks.append(
        ContextBlock(
            elements=[
                mrkdwn(
                    f"Nothing is created until you press *Import*; a progress card{where} then follows it."
                )
            ]
        )
    )
    return View(
        type="modal",
        callback_id=ImportCallback.CONFIRM,
        title=plain(TITLE, 24),
        submit=plain("Import", 24),
        close=plain("Cancel", 24),
        private_metadata=metadata.model_dump_json(),
        blocks=blocks,
    )


def import_started_modal(*, total: int, channel_id: str | None, again: bool) -> View:
    where = f"<#{channel_id}>" if channel_id else "your direct messages with the bot"
    text = (
        f":inbox_tray: *Importing {total:,} user{'s' if total != 1 else ''}.* "
        f"The progress card in {where} follows it."
    )
    if again:
        text = f":inbox_tray: *This import has already started.* The progress card in {where} follows it."
    return View(
        type="modal",
        title=plain(TITLE, 24),
        close=plain("Done", 24),
        clear_on_close=True,
        blocks=[SectionBlock(text=mrkdwn(text))],
    )


def import_card(progress: ImportProgress) -> list[Block]:
    created = progress.count(RowState.CREATED)
    waiting = progress.count(RowState.WAITING_FOR_APPROVAL)
    failed = progress.count(RowState.FAILED)
    done = created + waiting + failed
    state = "Import finished" if progress.finished else f"Importing… {done:,} of {progress.rows:,}"
    by = f" · started by {mention(progress.started_by)}" if progress.started_by else ""
    head = f"*{state}* · {escape(progress.customer)} · {escape(progress.file_name)}{by}"
    counts = (
        f"*Created:* {created:,}    *Waiting for approval:* {waiting:,}    *Failed:* {failed:,}    "
        f"*Queued:* {progress.count(RowState.QUEUED):,}"
    )
    blocks: list[Block] = [SectionBlock(text=mrkdwn(head)), SectionBlock(text=mrkdwn(counts))]
    if progress.failures:
        lines = "\n".join(
            f"• Row {f.row} ({escape(f.email)}): {escape(f.error)[:300]}" for f in progress.failures
        )
        blocks.append(SectionBlock(text=mrkdwn(f"*Failed rows*\n{lines}"[:SECTION_TEXT_MAX])))
        if failed > len(progress.failures):
            blocks.append(ContextBlock(elements=[mrkdwn(f"…and {failed - len(progress.failures):,} more.")]))
    return blocks


def import_card_text(progress: ImportProgress) -> str:
    state = "Import finished" if progress.finished else "Importing users"
    return (
        f"{state}: {progress.customer}, {progress.count(RowState.CREATED):,} created, "
        f"{progress.count(RowState.WAITING_FOR_APPROVAL):,} waiting for approval, "
        f"{progress.count(RowState.FAILED):,} failed of {progress.rows:,}"
    )
