"""Listener middleware: only HELPDESK_USERS may use the helpdesk surfaces."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.deps import Deps

log = logging.getLogger(__name__)

REFUSAL = (
    "Sorry, only helpdesk staff can do this. "
    "Ask a deskops administrator to add you (or your user group) to HELPDESK_USERS."
)


def require_helpdesk(
    body: dict[str, Any],
    context: BoltContext,
    ack: Ack,
    respond: Respond,
    deps: Deps,
    next: Callable[[], None],
) -> None:
    if deps.helpdesk.allows(context.user_id):
        next()
        return
    log.info(
        "refused %s to %s: not in HELPDESK_USERS", body.get("command") or body.get("type"), context.user_id
    )
    if body.get("command"):
        ack(text=REFUSAL)
        return
    ack()
    if body.get("response_url") or context.response_url:
        respond(text=REFUSAL, response_type="ephemeral", replace_original=False)
    elif context.channel_id and context.user_id:
        deps.slack.chat_postEphemeral(channel=context.channel_id, user=context.user_id, text=REFUSAL)
