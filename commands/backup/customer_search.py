"""The type-ahead `Customer` field: Slack asks for options as the person types."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from blocks.backup.fields import SELECT_OPTIONS_MAX, customer_options
from blocks.backup.ids import ActionId
from bot.customers.scope import CustomerTypeAhead, suggest_customers
from bot.deps import Deps
from commands.access import require_helpdesk


def answer_customer_options(ack: Ack, body: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """Options requests must be answered within Slack's 3 s, so this answers in the ack itself:
    one read of customer ids and names, ranked in memory."""
    request = CustomerTypeAhead(
        typed=str(body.get("value") or "")[:200], scope=deps.scopes.scope_for(context.user_id)
    )
    ack(options=customer_options(suggest_customers(deps.db, request, limit=SELECT_OPTIONS_MAX)))


def register(app: App) -> None:
    app.options(ActionId.CUSTOMER_SEARCH, middleware=[require_helpdesk])(answer_customer_options)
