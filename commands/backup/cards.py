"""Buttons on the user card and the users list; activation from the command too."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks.backup.ids import ActionId
from blocks.backup.messages import users_list
from blocks.backup.metadata import UserRef, UsersPageRef
from bot.accounts.activation import request_activation
from bot.accounts.assignments import retry_provisioning
from bot.accounts.platform_state import read_back_activations
from bot.accounts.queries import check_customer_in_scope, check_user_in_scope, list_users
from bot.accounts.summary import summarize
from bot.customers.service import summarize_customer
from bot.deps import Deps
from bot.integrations.backup.port import PlatformError
from commands.access import require_helpdesk
from commands.errors import answers_errors
from commands.replies import tell_person
from commands.state import carried

log = logging.getLogger(__name__)
USERS_PAGE_SIZE = 20


def activate_user(deps: Deps, *, user_id: int, actor: str) -> str:
    """Queue the activation e-mail; return what to tell the helpdesk person. An account activated
    on the platform meanwhile is read back first, so it is not sent another e-mail."""
    check_user_in_scope(deps.db, user_id, deps.scopes.scope_for(actor))
    read_back_quietly(deps, user_ids=[user_id])
    with deps.db.transaction() as session:
        result = request_activation(
            session,
            user_id=user_id,
            actor=actor,
            now=deps.clock.now(),
            platform=deps.platform,
            valid_for=deps.activation_valid_for,
            tokens=deps.tokens,
        )
        user = result.user
        name, to = user.full_name, user.mail_to
    if not result.queued:
        return f"An activation e-mail for {name} was sent moments ago; it is on its way to {to}."
    days = deps.settings.activation_token_days
    return f"Activation e-mail for {name} is on its way to {to}. The link works for {days} days."


def read_back_quietly(
    deps: Deps, *, customer_id: int | None = None, user_ids: list[int] | None = None
) -> None:
    """Activation read back before showing or acting; an unreachable platform shows what is known."""
    try:
        read_back_activations(deps.db, deps.platform, deps.clock, customer_id=customer_id, user_ids=user_ids)
    except PlatformError as error:
        log.warning("could not read activation back from the backup platform: %s", error)


def users_page(deps: Deps, *, customer_id: int, offset: int) -> list[dict[str, Any]]:
    read_back_quietly(deps, customer_id=customer_id)
    with deps.db.read() as session:
        page = list_users(session, customer_id, offset=offset, limit=USERS_PAGE_SIZE)
        blocks = users_list(
            customer=summarize_customer(page.customer),
            users=[summarize(user) for user in page.users],
            total=page.total,
            offset=page.offset,
            has_more=page.has_more,
        )
    return [block.to_dict() for block in blocks]


@answers_errors
def activate_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    ref = carried(UserRef, body["actions"][0].get("value"))
    text = activate_user(deps, user_id=ref.user_id, actor=str(context.user_id))
    tell_person(text, body=body, context=context, client=client, deps=deps)


@answers_errors
def retry_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    ref = carried(UserRef, body["actions"][0].get("value"))
    check_user_in_scope(deps.db, ref.user_id, deps.scopes.scope_for(context.user_id))
    with deps.db.transaction() as session:
        user = retry_provisioning(
            session, user_id=ref.user_id, actor=str(context.user_id), now=deps.clock.now()
        )
        name = user.full_name
    text = f"Trying again to finish {name} on the backup platform…"
    tell_person(text, body=body, context=context, client=client, deps=deps)


@answers_errors
def page_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, deps: Deps
) -> None:
    ack()
    ref = carried(UsersPageRef, body["actions"][0].get("value"))
    check_customer_in_scope(deps.db, ref.customer_id, deps.scopes.scope_for(context.user_id))
    blocks = users_page(deps, customer_id=ref.customer_id, offset=max(ref.offset, 0))
    respond(blocks=blocks, text="Backup users", response_type="ephemeral", replace_original=True)


def register(app: App) -> None:
    helpdesk = [require_helpdesk]
    app.action(ActionId.ACTIVATE, middleware=helpdesk)(activate_clicked)
    app.action(ActionId.RETRY_PROVISIONING, middleware=helpdesk)(retry_clicked)
    app.action(re.compile(rf"^{re.escape(ActionId.USERS_PAGE)}\."), middleware=helpdesk)(page_clicked)
