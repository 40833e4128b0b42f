"""Assign Service and Backup User Settings: modals for an existing user."""

from __future__ import annotations

import uuid
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from blocks.backup.ids import ActionId, CallbackId
from blocks.backup.metadata import UserRef, UserSettingsMetadata
from blocks.backup.modals import assign_service_modal, settings_values_of, user_settings_modal
from bot.accounts.assignments import (
    assign_backup,
    ensure_can_assign,
    ensure_has_backup,
    has_backup,
    settings_for_user,
    update_backup_settings,
)
from bot.accounts.models import BackupUser
from bot.accounts.queries import check_user_in_scope, find_user, get_user, last_activation_sent
from bot.accounts.summary import summarize
from bot.customers.service import get_customer, summarize_customer
from bot.deps import Deps
from commands.access import require_helpdesk
from commands.backup.forms import backup_settings_form
from commands.errors import answers_errors
from commands.state import ViewState, carried
from commands.submissions import answer_submission


def _the_user(
    session: Session, user_id: int | None, email: str | None, customer_text: str | None
) -> BackupUser:
    """The user a card's button names (by id) or a command typed (by e-mail, and customer)."""
    if user_id is not None:
        return get_user(session, user_id)
    return find_user(session, email or "", customer_text)


def open_assign_service(
    deps: Deps,
    client: WebClient,
    *,
    trigger_id: str,
    channel_id: str | None,
    email: str | None = None,
    customer_text: str | None = None,
    user_id: int | None = None,
) -> None:
    with deps.db.read() as session:
        user = _the_user(session, user_id, email, customer_text)
        ensure_can_assign(user)
        summary = summarize(user, activation_sent_at=last_activation_sent(session, user.id))
        customer = summarize_customer(get_customer(session, user.customer_id))
    metadata = UserSettingsMetadata(user_id=summary.id, channel_id=channel_id)
    client.views_open(
        trigger_id=trigger_id,
        view=assign_service_modal(
            user=summary, customer=customer, metadata=metadata, values=settings_values_of(summary)
        ),
    )


def open_user_settings(
    deps: Deps,
    client: WebClient,
    *,
    trigger_id: str,
    channel_id: str | None,
    email: str | None = None,
    customer_text: str | None = None,
    user_id: int | None = None,
) -> None:
    with deps.db.read() as session:
        user = _the_user(session, user_id, email, customer_text)
        ensure_has_backup(user)
        summary = summarize(user)
        customer = summarize_customer(get_customer(session, user.customer_id))
    metadata = UserSettingsMetadata(user_id=summary.id, channel_id=channel_id)
    client.views_open(
        trigger_id=trigger_id,
        view=user_settings_modal(
            user=summary, customer=customer, metadata=metadata, values=settings_values_of(summary)
        ),
    )


@answers_errors
def assign_service_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    ref = carried(UserRef, body["actions"][0].get("value"))
    channel = (body.get("channel") or {}).get("id")
    check_user_in_scope(deps.db, ref.user_id, deps.scopes.scope_for(context.user_id))
    with deps.db.read() as session:
        assigned = has_backup(get_user(session, ref.user_id))
    # The user has Backup already (the only service): the button opens its settings instead.
    open_modal = open_user_settings if assigned else open_assign_service
    open_modal(deps, client, trigger_id=body["trigger_id"], channel_id=channel, user_id=ref.user_id)


def _submit(ack: Ack, view: dict[str, Any], context: BoltContext, deps: Deps, *, assigning: bool) -> None:
    metadata = carried(UserSettingsMetadata, view.get("private_metadata"))
    form = backup_settings_form(ViewState(view))
    change_key = f"{view.get('id')}:{view.get('hash')}" if view.get("id") else str(uuid.uuid4())

    def run() -> dict[str, Any]:
        check_user_in_scope(deps.db, metadata.user_id, deps.scopes.scope_for(context.user_id))
        with deps.db.transaction() as session:
            settings = settings_for_user(session, metadata.user_id, form, keep_subscription=not assigning)
            change = assign_backup if assigning else update_backup_settings
            change(
                session,
                user_id=metadata.user_id,
                settings=settings,
                actor=str(context.user_id),
                now=deps.clock.now(),
                notify_channels=deps.notify_channels(metadata.channel_id),
                change_key=change_key,
            )
        return {"response_action": "clear"}

    answer_submission(ack, view, run)


def submit_assign_service(ack: Ack, view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    _submit(ack, view, context, deps, assigning=True)


def submit_user_settings(ack: Ack, view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    _submit(ack, view, context, deps, assigning=False)


def register(app: App) -> None:
    helpdesk = [require_helpdesk]
    app.action(ActionId.ASSIGN_SERVICE, middleware=helpdesk)(assign_service_clicked)
    app.view(CallbackId.ASSIGN_SERVICE, middleware=helpdesk)(submit_assign_service)
    app.view(CallbackId.USER_SETTINGS, middleware=helpdesk)(submit_user_settings)
