"""Disable, enable and reset: `/backup disable|enable|reset <email> [customer]` and the card's buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from blocks.backup.card import disable_confirmation
from blocks.backup.ids import ActionId
from bot.accounts import lifecycle
from bot.accounts.actions import UserAction
from bot.accounts.lifecycle import StateChange
from bot.accounts.reading import user_summary
from bot.accounts.reset import send_password_reset
from bot.deps import Deps
from commands.access import require_helpdesk
from commands.backup.forms import clicked_user
from commands.errors import answers_errors
from commands.replies import tell_person


def confirm_disable(deps: Deps, action: UserAction) -> list[dict[str, Any]]:
    """What `/backup disable` answers: the user, and a button that really disables."""
    return [block.to_dict() for block in disable_confirmation(user_summary(deps.db, action))]


def disable(deps: Deps, action: UserAction) -> str:
    change = lifecycle.disable(deps.db, action, now=deps.clock.now())
    return _said(change, done="is disabled: they can no longer sign in", already="was already disabled")


def enable(deps: Deps, action: UserAction) -> str:
    change = lifecycle.enable(deps.db, action, now=deps.clock.now())
    return _said(change, done="can sign in again", already="is not disabled")


def reset_password(deps: Deps, action: UserAction) -> str:
    request = send_password_reset(
        deps.db,
        user_id=action.user_id,
        actor=action.actor,
        now=deps.clock.now(),
        scope=action.scope,
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
    text = disable(deps, clicked_user(body, context, deps))
    tell_person(text, body=body, context=context, client=client, deps=deps)


@answers_errors
def enable_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    text = enable(deps, clicked_user(body, context, deps))
    tell_person(text, body=body, context=context, client=client, deps=deps)


def register(app: App) -> None:
    helpdesk = [require_helpdesk]
    app.action(ActionId.DISABLE, middleware=helpdesk)(disable_clicked)
    app.action(ActionId.ENABLE, middleware=helpdesk)(enable_clicked)
