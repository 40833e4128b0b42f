"""/backup find <text>: users by any part of their name or e-mail, within the person's scope."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks.backup.found import found_users
from blocks.backup.ids import ActionId
from blocks.backup.metadata import FindPageRef
from bot.accounts.actions import FindUsers
from bot.accounts.search import find_users_page
from bot.customers.scope import CustomerScope
from bot.deps import Deps
from commands.access import require_helpdesk
from commands.errors import answers_errors
from commands.state import carried

FIND_PAGE_SIZE = 10


def found_page(deps: Deps, *, text: str, scope: CustomerScope, offset: int) -> list[dict[str, Any]]:
    query = FindUsers(text=text, scope=scope, offset=offset)
    found = find_users_page(deps.db, query, limit=FIND_PAGE_SIZE)
    blocks = found_users(
        text=found.text, users=found.users, total=found.total, offset=found.offset, has_more=found.has_more
    )
    return [block.to_dict() for block in blocks]


@answers_errors
def page_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, deps: Deps
) -> None:
    ack()
    ref = carried(FindPageRef, body["actions"][0].get("value"))
    scope = deps.scopes.scope_for(context.user_id)
    blocks = found_page(deps, text=ref.text, scope=scope, offset=max(ref.offset, 0))
    respond(blocks=blocks, text="Backup users found", response_type="ephemeral", replace_original=True)


def register(app: App) -> None:
    app.action(re.compile(rf"^{re.escape(ActionId.FIND_PAGE)}\."), middleware=[require_helpdesk])(
        page_clicked
    )
