"""`/backup import`: **Import Users** (a CSV file), checked and previewed, then **Import**."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from blocks.backup.imports import (
    PREVIEW_ROWS,
    ImportBlock,
    ImportCallback,
    ImportConfirmMetadata,
    ImportMetadata,
    ImportPreview,
    import_checking_modal,
    import_preview_modal,
    import_started_modal,
    import_users_modal,
)
from bot.accounts.forms import Field
from bot.accounts.import_flow import (
    begin_import,
    check_import_file,
    customer_in_scope,
    import_target,
    keep_import,
)
from bot.accounts.imports import MAX_BYTES
from bot.accounts.models import Role
from bot.approvals.policy import ApprovalKind, needs_approval
from bot.customers.scope import CustomerScope
from bot.deps import Deps
from bot.errors import DomainError
from bot.slack.files import read_file
from commands.access import require_helpdesk
from commands.state import ViewState, carried, whole_number
from commands.submissions import answer_submission, errors_for_view

log = logging.getLogger(__name__)
# How long the result waits for Slack to show the "checking…" view (see _replace_checking_view).
CHECKING_VIEW_WAIT = 10.0


def open_import(
    deps: Deps,
    client: WebClient,
    *,
    trigger_id: str,
    channel_id: str | None,
    customer_text: str | None,
    scope: CustomerScope,
) -> None:
    target = import_target(deps.db, customer_text=customer_text, scope=scope)
    chosen = target.chosen
    metadata = ImportMetadata(
        request_key=str(uuid.uuid4()),
        channel_id=channel_id,
        customer_id=chosen[0] if chosen else None,
        customer_name=chosen[1] if chosen else None,
    )
    client.views_open(trigger_id=trigger_id, view=import_users_modal(metadata, customers=target.customers))


def _picked_file(state: ViewState) -> str | None:
    entry: dict[str, Any] = next(iter((state.values.get(ImportBlock.FILE) or {}).values()), {})
    files = entry.get("files") or []
    return str(files[0]["id"]) if files and isinstance(files[0], dict) and files[0].get("id") else None


def submit_import(
    ack: Ack, view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    """Answered at once with "checking…" (a file of thousands of rows takes longer to read and check
    than Slack waits), then the modal becomes the preview, or the problems to correct."""
    metadata = carried(ImportMetadata, view.get("private_metadata"))
    state = ViewState(view)
    customer_id = metadata.customer_id or whole_number(state.selected(Field.CUSTOMER))
    file_id = _picked_file(state)
    scope = deps.scopes.scope_for(context.user_id)
    errors: dict[str, str] = {}
    if customer_id is None:
        errors[Field.CUSTOMER] = "Choose the customer these users belong to."
    if file_id is None:
        errors[ImportBlock.FILE] = "Choose a CSV file."
    name = ""
    try:
        if customer_id is not None:
            name = customer_in_scope(deps.db, customer_id, scope)
    except DomainError as error:
        errors[Field.CUSTOMER] = str(error)
    if errors or customer_id is None or file_id is None:
        ack(response_action="errors", errors=errors_for_view(view, errors))
        return
    fixed = metadata.model_copy(update={"customer_id": customer_id, "customer_name": name})
    checking = f"import-check-{uuid.uuid4().hex}"
    ack(response_action="update", view=import_checking_modal(fixed, external_id=checking))
    try:
        answer = _checked_view(deps, client, fixed, file_id, actor=str(context.user_id), scope=scope)
    except DomainError as error:
        answer = import_users_modal(fixed, notice=str(error))
    except Exception:
        reference = uuid.uuid4().hex[:8]
        log.exception("checking an import failed (reference %s)", reference)
        notice = (
            f"Something went wrong on our side (reference {reference}). Nothing was saved; please try again."
        )
        answer = import_users_modal(fixed, notice=notice)
    _replace_checking_view(client, checking, answer)


def _replace_checking_view(client: WebClient, external_id: str, answer: View) -> None:
    """Slack applies the ack's "checking…" view when it receives the ack; an update sent sooner
    would be overwritten by it. Addressed by the checking view's external_id, the update waits
    until that view exists (`not_found` until then)."""
    deadline = time.monotonic() + CHECKING_VIEW_WAIT
    while True:
        try:
            client.views_update(external_id=external_id, view=answer)
            return
        except SlackApiError as error:
            if error.response.get("error") != "not_found" or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _checked_view(
    deps: Deps, client: WebClient, metadata: ImportMetadata, file_id: str, *, actor: str, scope: CustomerScope
) -> View:
    assert metadata.customer_id is not None
    picked = read_file(client, file_id, max_bytes=MAX_BYTES)
    checked = check_import_file(
        deps.db,
        customer_id=metadata.customer_id,
        file_name=picked.name,
        data=picked.data,
        scope=scope,
        phone_region=deps.settings.phone_default_region,
        login_problem=deps.platform.login_problem,
    )
    result = checked.checked
    if result.errors:
        rows = len({e.row for e in result.errors})
        return import_users_modal(
            metadata, problems=result.errors, rows_with_problems=rows, file_name=picked.name
        )
    import_id = keep_import(
        deps.db,
        checked,
        actor=actor,
        channel_id=metadata.channel_id,
        request_key=f"{metadata.request_key}:{file_id}",
        now=deps.clock.now(),
    )
    preview = ImportPreview(
        import_id=import_id,
        customer=checked.customer_name,
        file_name=picked.name,
        rows=result.rows[:PREVIEW_ROWS],
        total=len(result.rows),
        administrators=result.administrators,
        administrators_held=needs_approval(
            deps.settings, ApprovalKind.ADMINISTRATOR, role=Role.ADMINISTRATOR
        ),
    )
    confirm = ImportConfirmMetadata(import_id=import_id, channel_id=metadata.channel_id)
    return import_preview_modal(confirm, preview)


def submit_import_confirm(ack: Ack, view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """**Import**: the rows are queued once, however often the button is pressed or Slack retries."""
    metadata = carried(ImportConfirmMetadata, view.get("private_metadata"))
    scope = deps.scopes.scope_for(context.user_id)

    def run() -> dict[str, Any]:
        started = begin_import(
            deps.db, metadata.import_id, actor=str(context.user_id), scope=scope, now=deps.clock.now()
        )
        done = import_started_modal(
            total=started.rows, channel_id=started.channel_id, again=not started.started_now
        )
        return {"response_action": "update", "view": done}

    answer_submission(ack, view, run)


def register(app: App) -> None:
    helpdesk = [require_helpdesk]
    app.view(ImportCallback.CHECK, middleware=helpdesk)(submit_import)
    app.view(ImportCallback.CONFIRM, middleware=helpdesk)(submit_import_confirm)
