"""What the reliability tests share: counting every row the app stores, and building requests as
Slack builds them but sent by hand (a second submission of a view, a forged person, a tampered
value), signed like Slack signs them."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.audit.models import AuditEvent
from bot.db import Database
from bot.models import Base
from console import SlackEmulator, payloads
from console.models import JSON, Message
from console.transport import Delivery, SentRequest
from tests.e2e.backup_flows import read_eml
from tests.support.app import RunningApp

# Every request Slack sends is keyed here (retries are recognised by it): not application state.
REQUEST_KEYS = "processed_slack_requests"
# The scheduler records each run of a job here, on its own clock (a start catches up missed runs,
# interval runs fall on fixed instants): not an effect of any request.
SCHEDULER_RUNS = "scheduler_runs"


def table_counts(db: Database, *, ignore: tuple[str, ...] = (REQUEST_KEYS, SCHEDULER_RUNS)) -> dict[str, int]:
    """Rows per table: what a request that must change nothing must leave as it was."""
    counts: dict[str, int] = {}
    with db.read() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in ignore or table.name == "alembic_version":
                continue
            counts[table.name] = int(session.scalar(select(func.count()).select_from(table)) or 0)
    return counts


def changed_tables(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {name: (before[name], after[name]) for name in before if before[name] != after.get(name)}


def audit_actions(db: Database, action: str | None = None) -> list[str]:
    with db.read() as session:
        query = select(AuditEvent.action).order_by(AuditEvent.id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        return list(session.scalars(query))


def count_rows(db: Database, model: type[Any], *where: Any) -> int:
    with db.read() as session:
        return _count(session, model, *where)


def _count(session: Session, model: type[Any], *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


# --- requests built by hand -------------------------------------------------------------------


def send(emulator: SlackEmulator, kind: str, body: bytes, **options: Any) -> Delivery:
    """Signed and sent like Slack sends it (options: timestamp, signature, retry_num)."""
    return emulator.send_raw(SentRequest(kind, body), **options)  # type: ignore[arg-type]


def submission(emulator: SlackEmulator, user_id: str, view: JSON) -> bytes:
    """A view_submission of `view` (as it was when copied) by `user_id`, with a new trigger_id:
    what a second click on Submit sends."""
    ws = emulator.workspace
    trigger = ws.views.issue_trigger(user_id)
    payload = payloads.view_submission(ws.identity, user=ws.user(user_id), trigger_id=trigger, view=view)
    return payloads.interactivity_body(payload)


def submit_again(emulator: SlackEmulator, user_id: str, view: JSON) -> Delivery:
    return send(emulator, "interactivity", submission(emulator, user_id, view))


def slash_body(emulator: SlackEmulator, user_id: str, command: str, text: str, channel: str) -> bytes:
    ws = emulator.workspace
    assert emulator.driver is not None
    form = payloads.slash_command(
        ws.identity,
        user=ws.user(user_id),
        channel=ws.channels[channel],
        command=command,
        text=text,
        response_url=emulator.driver.response_url(user_id, channel),
        trigger_id=ws.views.issue_trigger(user_id),
    )
    return payloads.form_body(form)


def button_click_body(
    emulator: SlackEmulator,
    user_id: str,
    message: Message,
    action_id: str,
    *,
    value: str | None = None,
    tamper: Callable[[JSON], None] | None = None,
) -> bytes:
    """A click on a message button as `user_id`, its value replaced (`value`) or the payload
    changed by `tamper` — what a tampering client could send."""
    ws = emulator.workspace
    assert emulator.driver is not None
    current = ws.find_message(message.channel, message.ts)
    button = current.button(action_id)
    action: JSON = {
        "type": "button",
        "block_id": button.block_id,
        "action_id": action_id,
        "text": {"type": "plain_text", "text": button.text},
        "value": button.value if value is None else value,
        "action_ts": ws.new_ts(),
    }
    payload = payloads.block_actions(
        ws.identity,
        user=ws.user(user_id),
        trigger_id=ws.views.issue_trigger(user_id),
        actions=[action],
        message=current.to_slack(ws.identity),
        channel=ws.channels[current.channel],
        message_ts=current.ts,
        response_url=emulator.driver.response_url(user_id, current.channel, message_ts=current.ts),
    )
    if tamper is not None:
        tamper(payload)
    return payloads.interactivity_body(payload)


# --- e-mail ----------------------------------------------------------------------------------


def emails(app: RunningApp) -> list[EmailMessage]:
    return [read_eml(path) for path in app.eml_files()]


def plain_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())
