"""The one place errors become answers: domain errors are told to the person as they are;
anything else is logged with a reference the answer quotes."""

from __future__ import annotations

import functools
import inspect
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.db import database_unavailable
from bot.errors import Ambiguous, DomainError, NotFound
from commands.replies import tell_person
from commands.submissions import errors_for_view

log = logging.getLogger(__name__)
Listener = TypeVar("Listener", bound=Callable[..., Any])


def answer_for(error: Exception) -> tuple[str, list[str]]:
    if isinstance(error, NotFound):
        return str(error), error.suggestions
    if isinstance(error, Ambiguous):
        return str(error) + " Add the customer's name after the e-mail address.", []
    if isinstance(error, DomainError):
        return str(error), []
    if isinstance(error, SlackApiError):
        code = error.response.get("error") or f"HTTP {error.response.status_code}"
        log.warning("a Slack Web API call failed (%s)", code)
        return (
            f"Slack did not complete what deskops asked of it ({code}); Slack may be busy. "
            "Nothing was changed; please try again in a moment.",
            [],
        )
    if database_unavailable(error):
        log.error("the database cannot be used", exc_info=error)
        return (
            "deskops cannot use its database just now, so nothing was changed. Please try again in a "
            "minute; if it lasts, tell a deskops administrator (`deskops doctor` checks the database).",
            [],
        )
    reference = uuid.uuid4().hex[:8]
    log.error(
        "unexpected error (reference %s)", reference, exc_info=error, extra={"error_reference": reference}
    )
    return (
        f"Something went wrong on our side (reference {reference}). Nothing was changed; please try again.",
        [],
    )


def report(error: Exception, *, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    text, suggestions = answer_for(error)
    try:
        tell_person(
            text, body=body, context=context, client=client, deps=context.get("deps"), suggestions=suggestions
        )
    except Exception:
        log.exception("could not tell the person about an error")


def answers_errors(listener: Listener) -> Listener:
    """For listeners that ack first: an error after the ack is answered here, in words, instead
    of reaching Bolt, which would race the ack and could turn it into an HTTP 500."""
    needed = {"body", "context", "client"}
    missing = needed - set(inspect.signature(listener).parameters)
    if missing:
        raise TypeError(f"{listener.__name__} must take {', '.join(sorted(missing))} to answer its errors")

    @functools.wraps(listener)
    def guarded(**kwargs: Any) -> Any:
        try:
            return listener(**kwargs)
        except Exception as error:
            ack = kwargs.get("ack")
            if ack is not None and ack.response is None:
                ack()  # failed before its ack: Slack still gets one, and the person the answer
            report(error, body=kwargs["body"], context=kwargs["context"], client=kwargs["client"])
            return None

    return guarded  # type: ignore[return-value]


def register(app: App) -> None:
    @app.error
    def handle_error(
        error: Exception, body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> BoltResponse | None:
        if body.get("type") == "view_submission":
            # A submission that failed before its ack (e.g. tampered private_metadata): the modal
            # stays open with the answer under its first field, instead of Slack's "trouble connecting".
            text, _ = answer_for(error)
            errors = errors_for_view(body.get("view") or {}, {"": text})
            if errors:
                answer = {"response_action": "errors", "errors": errors}
                return BoltResponse(
                    status=200, body=json.dumps(answer), headers={"content-type": "application/json"}
                )
        report(error, body=body, context=context, client=client)
        return None
