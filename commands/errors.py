"""The one error handler: domain errors become answers people can act on; anything else is
logged with a reference the answer quotes."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.errors import Ambiguous, DomainError, NotFound
from commands.replies import tell_person

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


def register(app: App) -> None:
    @app.error
    def handle_error(error: Exception, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        text, suggestions = answer_for(error)
        deps = context.get("deps")
        try:
            tell_person(text, body=body, context=context, client=client, deps=deps, suggestions=suggestions)
        except Exception:
            log.exception("could not tell the user about an error")
