"""The one error handler: domain errors become answers people can act on; anything else is
logged with a reference the answer quotes."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from blocks.backup.messages import notice
from bot.errors import Ambiguous, DomainError, NotFound

log = logging.getLogger(__name__)


def answer_for(error: Exception) -> tuple[str, list[str]]:
    if isinstance(error, NotFound):
        return str(error), error.suggestions
    if isinstance(error, Ambiguous):
        return str(error) + " Add the customer's name after the e-mail address.", []
    if isinstance(error, DomainError):
        return str(error), []
    reference = uuid.uuid4().hex[:8]
    log.error("unexpected error (reference %s)", reference, exc_info=error)
    return (
        f"Something went wrong on our side (reference {reference}). Nothing was changed; please try again.",
        [],
    )


def tell(client: WebClient, context: BoltContext, body: dict[str, Any], error: Exception) -> None:
    """Say what went wrong to the person who asked, as an ephemeral answer."""
    text, suggestions = answer_for(error)
    blocks = [block.to_dict() for block in notice(text, suggestions=suggestions)]
    response_url = context.response_url or body.get("response_url")
    if response_url and context.respond is not None:
        context.respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
    elif context.channel_id and context.user_id:
        client.chat_postEphemeral(channel=context.channel_id, user=context.user_id, text=text, blocks=blocks)
    elif context.user_id:
        client.chat_postMessage(channel=context.user_id, text=text, blocks=blocks)


def register(app: App) -> None:
    @app.error
    def handle_error(error: Exception, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if not isinstance(error, DomainError):
            log.warning("listener failed: %s", type(error).__name__)
        try:
            tell(client, context, body, error)
        except Exception:
            log.exception("could not tell the user about an error")
