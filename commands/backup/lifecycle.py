"""Disable, enable and reset: `/backup disable|enable|reset <email> [customer]` and the card's buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from blocks.backup.ids import ActionId
from blocks.backup.messages import disable_confirmation
from blocks.backup.metadata import UserRef
from bot.accounts.lifecycle import StateChange, disable_user, enable_user
from bot.accounts.queries import get_user
from bot.accounts.reset import send_password_reset
from bot.accounts.summary import summarize
from bot.deps import Deps
from commands.access import require_helpdesk
from commands.errors import answers_errors
from commands.replies import tell_person
from commands.state import carried


def confirm_disable(deps: Deps, *, user_id: int) -> list[dict[str, Any]]:
    """What `/backup disable` answers: the user, and a button that really disables."""
    with deps.db.read() as session:
        blocks = disable_confirmation(summarize(get_user(session, user_id)))
    return [block.to_dict() for block in blocks]


def disable(deps: Deps, *, user_id: int, actor: str) -> str:
    with deps.db.transaction() as session:
        change = disable_user(
            session, user_id=user_id, actor=actor, now=deps.clock.now(), scope=deps.scopes.scope_for(actor)
        )
    return _said(change, done="is disabled: they can no longer sign in", already="was already disabled")


def enable(deps: Deps, *, user_id: int, actor: str) -> str:
    with deps.db.transaction() as session:
        change = enable_user(
            session, user_id=user_id, actor=actor, now=deps.clock.now(), scope=deps.scopes.scope_for(actor)
        )
    return _said(change, done="can sign in again", already="is not disabled")


def reset_password(deps: Deps, *, user_id: int, actor: str) -> str:
    request = send_password_reset(
        deps.db,
        user_id=user_id,
        actor=actor,
        now=deps.clock.now(),
        scope=deps.scopes.scope_for(actor),
        platform=deps.platform,
        valid_for=deps.activation_valid_for,
        tokens=deps.tokens,
    )
    if request.sent == "activation":
        return f"{request.full_name} never activated the account: the activation e-mail is on its way to {request.to}."
    days = deps.settings.activation_token_days
    return f"A link to choose a new password is on its way to {request.to}. It works once, for {days} days."


def _said(change: StateChange, *, done: str, already: str) -> str:
    return f"{change.full_name} ({change.email}) {done if change.changed else already}."


@answers_errors
def disable_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    ref = carried(UserRef, body["actions"][0].get("value"))
    text = disable(deps, user_id=ref.user_id, actor=str(context.user_id))
    tell_person(text, body=body, context=context, client=client, deps=deps)


@answers_errors
def enable_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    ref = carried(UserRef, body["actions"][0].get("value"))
    text = enable(deps, user_id=ref.user_id, actor=str(context.user_id))
    tell_person(text, body=body, context=context, client=client, deps=deps)


def register(app: App) -> None:
    helpdesk = [require_helpdesk]
    app.action(ActionId.DISABLE, middleware=helpdesk)(disable_clicked)
    app.action(ActionId.ENABLE, middleware=helpdesk)(enable_clicked)
