"""Listener middleware: only HELPDESK_USERS may use the helpdesk surfaces."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext, BoltResponse

from bot.deps import Deps
from commands.replies import tell_person
from commands.submissions import errors_for_view

log = logging.getLogger(__name__)

REFUSAL = (
    "Sorry, only helpdesk staff can do this. "
    "Ask a deskops administrator to add you (or your user group) to HELPDESK_USERS."
)


def require_helpdesk(
    body: dict[str, Any], context: BoltContext, deps: Deps, next: Callable[[], None]
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
        return _json_ack({"text": REFUSAL, "response_type": "ephemeral"})
    if body.get("type") == "block_suggestion":
        # An options request is answered with options, or the menu shows an error: none are offered.
        return _json_ack({"options": []})
    if body.get("type") == "view_submission":
        # The modal stays open with the refusal under its first field (e.g. removed from
        # HELPDESK_USERS while the modal was open): nothing is saved, nothing typed is lost.
        errors = errors_for_view(body.get("view") or {}, {"": REFUSAL})
        if errors:
            return _json_ack({"response_action": "errors", "errors": errors})
    try:
        tell_person(REFUSAL, body=body, context=context, client=deps.slack, deps=deps)
    except Exception:
        log.exception("could not tell %s they are not in HELPDESK_USERS", context.user_id)
    return BoltResponse(status=200, body="")


def _json_ack(answer: dict[str, Any]) -> BoltResponse:
    return BoltResponse(status=200, body=json.dumps(answer), headers={"content-type": "application/json"})
