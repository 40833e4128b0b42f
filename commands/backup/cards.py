"""Buttons on the user card and the users list; activation from the command too."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks.backup.ids import ActionId
from blocks.backup.messages import users_list
from blocks.backup.metadata import UsersPageRef
from bot.accounts.actions import ListUsers, UserAction
from bot.accounts.activation import send_activation
from bot.accounts.assignments import retry_platform_setup
from bot.accounts.reading import customer_users
from bot.deps import Deps
from commands.access import require_helpdesk
from commands.backup.forms import clicked_user
from commands.errors import answers_errors
from commands.replies import tell_person
from commands.state import carried

USERS_PAGE_SIZE = 20


def activate_user(deps: Deps, action: UserAction) -> str:
    """Queue the activation e-mail; return what to tell the helpdesk person."""
    sent = send_activation(
        deps.db, deps.platform, deps.clock, deps.tokens, action, valid_for=deps.activation_valid_for
    )
    if not sent.queued:
        return (
            f"An activation e-mail for {sent.full_name} was sent moments ago; it is on its way to {sent.to}."
        )
    days = deps.settings.activation_token_days
    return (
        f"Activation e-mail for {sent.full_name} is on its way to {sent.to}. The link works for {days} days."
    )


def users_page(deps: Deps, request: ListUsers) -> list[dict[str, Any]]:
    page = customer_users(deps.db, deps.platform, deps.clock, request, limit=USERS_PAGE_SIZE)
    blocks = users_list(
        customer=page.customer, users=page.users, total=page.total, offset=page.offset, has_more=page.has_more
    )
    return [block.to_dict() for block in blocks]


@answers_errors
def activate_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    text = activate_user(deps, clicked_user(body, context, deps))
    tell_person(text, body=body, context=context, client=client, deps=deps)


@answers_errors
def retry_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    name = retry_platform_setup(deps.db, clicked_user(body, context, deps), now=deps.clock.now())
    text = f"Trying again to finish {name} on the backup platform…"
    tell_person(text, body=body, context=context, client=client, deps=deps)


@answers_errors
def page_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, deps: Deps
) -> None:
    ack()
    ref = carried(UsersPageRef, body["actions"][0].get("value"))
    request = ListUsers(ref.customer_id, deps.scopes.scope_for(context.user_id), offset=ref.offset)
    blocks = users_page(deps, request)
    respond(blocks=blocks, text="Backup users", response_type="ephemeral", replace_original=True)


def register(app: App) -> None:
    helpdesk = [require_helpdesk]
    app.action(ActionId.ACTIVATE, middleware=helpdesk)(activate_clicked)
    app.action(ActionId.RETRY_PROVISIONING, middleware=helpdesk)(retry_clicked)
    app.action(re.compile(rf"^{re.escape(ActionId.USERS_PAGE)}\."), middleware=helpdesk)(page_clicked)
