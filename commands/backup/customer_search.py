"""The type-ahead `Customer` field: Slack asks for options as the person types."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from blocks.backup.ids import ActionId
from blocks.backup.modals import SELECT_OPTIONS_MAX, customer_options
from bot.customers.scope import customers_matching
from bot.deps import Deps
from commands.access import require_helpdesk


def suggest_customers(ack: Ack, body: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """Options requests must be answered within Slack's 3 s, so this answers in the ack itself:
    one read of customer ids and names, ranked in memory."""
    typed = str(body.get("value") or "")[:200]
    scope = deps.scopes.scope_for(context.user_id)
    with deps.db.read() as session:
        choices = customers_matching(session, typed, scope, limit=SELECT_OPTIONS_MAX)
    ack(options=customer_options(choices))


def register(app: App) -> None:
    app.options(ActionId.CUSTOMER_SEARCH, middleware=[require_helpdesk])(suggest_customers)
