"""Listener middleware: only HELPDESK_USERS may use the helpdesk surfaces."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext, BoltResponse, Respond

from bot.deps import Deps

log = logging.getLogger(__name__)

REFUSAL = (
    "Sorry, only helpdesk staff can do this. "
    "Ask a deskops administrator to add you (or your user group) to HELPDESK_USERS."
)


def require_helpdesk(
    body: dict[str, Any], context: BoltContext, respond: Respond, deps: Deps, next: Callable[[], None]
) -> BoltResponse | None:
    """Let helpdesk staff through; answer anyone else with an ephemeral refusal.

    A listener middleware that does not call next() must return the response itself: Bolt then
    sends it as the ack and runs no listener."""
    if deps.helpdesk.allows(context.user_id):
        next()
        return None
    log.info(
        "refused %s to %s: not in HELPDESK_USERS", body.get("command") or body.get("type"), context.user_id
    )
    if body.get("command"):
        return BoltResponse(
            status=200,
            body=json.dumps({"text": REFUSAL, "response_type": "ephemeral"}),
            headers={"content-type": "application/json"},
        )
    if context.response_url:
        respond(text=REFUSAL, response_type="ephemeral", replace_original=False)
    elif context.channel_id and context.user_id:
        deps.slack.chat_postEphemeral(channel=context.channel_id, user=context.user_id, text=REFUSAL)
    return BoltResponse(status=200, body="")
