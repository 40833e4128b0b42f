"""The Add New User modal and its Acronis Backup Settings step."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from blocks.approvals import sent_for_approval_modal
from blocks.backup.ids import ActionId, CallbackId
from blocks.backup.metadata import AddUserMetadata, AddUserSettingsMetadata
from blocks.backup.modals import (
    BackupSettingsValues,
    add_user_backup_settings_modal,
    add_user_modal,
)
from bot.accounts.forms import BackupSettings, NewUser, NewUserForm, check_backup_settings, check_new_user
from bot.accounts.models import BackupRole, Role
from bot.accounts.queries import check_customer_in_scope
from bot.accounts.users import check_email_free
from bot.approvals.administrators import create_user_or_request_approval
from bot.approvals.models import ApprovalRequest
from bot.config import SLACK_CHANNEL_ID
from bot.customers.scope import CustomerScope
from bot.customers.service import customer_summaries, find_customer, get_customer, summarize_customer
from bot.deps import Deps
from bot.errors import FieldErrors, InvalidState
from commands.access import require_helpdesk
from commands.backup.forms import add_user_choices, backup_settings_form, new_user_form
from commands.errors import answers_errors
from commands.state import BadPayload, ViewState, carried
from commands.submissions import answer_submission

log = logging.getLogger(__name__)


def open_add_user(
    deps: Deps,
    client: WebClient,
    *,
    trigger_id: str,
    channel_id: str | None,
    customer_text: str | None,
    scope: CustomerScope,
) -> None:
    with deps.db.read() as session:
        customers = [c for c in customer_summaries(session) if scope.allows(c.name)]
        fixed = find_customer(session, customer_text, scope).id if customer_text else None
    if not customers:
        raise InvalidState(
            "There are no customers yet: import them with `deskops customers import FILE.yaml`."
            if scope.is_everything
            else "No customer is in your scope: ask a deskops administrator to add yours in ACCESS_FILE."
        )
    if fixed is None and len(customers) == 1:
        fixed = customers[0].id
    metadata = AddUserMetadata(request_key=str(uuid.uuid4()), channel_id=channel_id, customer_id=fixed)
    client.views_open(trigger_id=trigger_id, view=add_user_modal(metadata=metadata, customers=customers))


@answers_errors
def reshape_add_user(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    """Role, separate e-mail and services change which fields the modal shows."""
    ack()
    view = body["view"]
    metadata = carried(AddUserMetadata, view.get("private_metadata"))
    with deps.db.read() as session:
        customers = customer_summaries(session)
    updated = add_user_modal(
        metadata=metadata, customers=customers, choices=add_user_choices(ViewState(view))
    )
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)
    except SlackApiError as error:
        if error.response.get("error") != "hash_conflict":
            raise
        log.debug("add-user modal changed again meanwhile; the later update wins")


def submit_add_user(ack: Ack, view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    metadata = carried(AddUserMetadata, view.get("private_metadata"))
    form = new_user_form(ViewState(view), metadata)

    def run() -> dict[str, Any]:
        new_user = check_new_user(form, phone_region=deps.settings.phone_default_region)
        check_customer_in_scope(deps.db, new_user.customer_id, deps.scopes.scope_for(context.user_id))
        with deps.db.transaction() as session:
            check_email_free(session, new_user, deps.platform)
            if form.assign_backup:
                customer = summarize_customer(get_customer(session, new_user.customer_id))
                step = AddUserSettingsMetadata(
                    request_key=metadata.request_key, channel_id=metadata.channel_id, **vars(new_user)
                )
                default_role = (
                    BackupRole.ADMINISTRATOR if new_user.role is Role.ADMINISTRATOR else BackupRole.USER
                )
                values = BackupSettingsValues(backup_role=default_role)
                return {
                    "response_action": "push",
                    "view": add_user_backup_settings_modal(metadata=step, customer=customer, values=values),
                }
            return create_or_hold(
                deps, session, new_user, None, context, metadata.request_key, metadata.channel_id
            )

    answer_submission(ack, view, run)


def create_or_hold(
    deps: Deps,
    session: Session,
    new_user: NewUser,
    backup: BackupSettings | None,
    context: BoltContext,
    request_key: str,
    channel_id: str | None,
) -> dict[str, Any]:
    """Create the user, or, when the policy says so (an Administrator), send it for approval."""
    result = create_user_or_request_approval(
        session,
        settings=deps.settings,
        new_user=new_user,
        backup=backup,
        actor=str(context.user_id),
        now=deps.clock.now(),
        request_key=request_key,
        channel_id=channel_id,
        notify_channels=deps.notify_channels(channel_id),
        platform=deps.platform,
    )
    if isinstance(result, ApprovalRequest):
        view = sent_for_approval_modal(
            title="Add New User", summary=result.summary, approvals_channel=deps.settings.approvals_channel
        )
        return {"response_action": "update", "view": view}
    return {"response_action": "clear"}


def submit_backup_settings(ack: Ack, view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    step = carried(AddUserSettingsMetadata, view.get("private_metadata"))
    form = backup_settings_form(ViewState(view))

    def run() -> dict[str, Any]:
        with deps.db.transaction() as session:
            customer = get_customer(session, step.customer_id)
            settings = check_backup_settings(form, subscription_ids=[s.id for s in customer.subscriptions])
            new_user = checked_again(step, phone_region=deps.settings.phone_default_region)
            return create_or_hold(
                deps, session, new_user, settings, context, step.request_key, step.channel_id
            )

    answer_submission(ack, view, run)


def checked_again(step: AddUserSettingsMetadata, *, phone_region: str) -> NewUser:
    """The first step's values, as carried by the second, checked as the first step checked them:
    what comes back from Slack is never taken on trust (it is sealed too, see bot/slack/sealing)."""
    out_of_date = BadPayload("This form or button is out of date; please start again.")
    if step.role not in Role._value2member_map_ or (
        step.channel_id is not None and not SLACK_CHANNEL_ID.match(step.channel_id)
    ):
        raise out_of_date
    form = NewUserForm(
        customer_id=step.customer_id,
        first_name=step.first_name,
        last_name=step.last_name,
        email=step.email,
        role=Role(step.role),
        address=step.address,
        phone=step.phone,
        separate_notification_email=step.notification_email is not None,
        notification_email=step.notification_email,
        assign_backup=True,
    )
    try:
        return check_new_user(form, phone_region=phone_region)
    except FieldErrors:
        raise out_of_date from None


def register(app: App) -> None:
    helpdesk = [require_helpdesk]
    for action in (ActionId.ROLE_CHANGED, ActionId.SEPARATE_EMAIL_TOGGLED, ActionId.SERVICES_CHANGED):
        app.action(action, middleware=helpdesk)(reshape_add_user)
    app.view(CallbackId.ADD_USER, middleware=helpdesk)(submit_add_user)
    app.view(CallbackId.ADD_USER_BACKUP_SETTINGS, middleware=helpdesk)(submit_backup_settings)
