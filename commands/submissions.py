"""Answering view submissions: the modal stays open with each error under its own field."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack

from bot.errors import DomainError, FieldErrors
from bot.slack.acks import RepeatedRequest

log = logging.getLogger(__name__)


def input_block_ids(view: dict[str, Any]) -> list[str]:
    return [
        str(b["block_id"]) for b in view.get("blocks", []) if b.get("type") == "input" and b.get("block_id")
    ]


def errors_for_view(view: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """Errors keyed by input blocks of this view; an error about a field the view does not show
    is put under the first input, so it is never lost."""
    present = input_block_ids(view)
    placed = {key: message for key, message in errors.items() if key in present}
    stray = [message for key, message in errors.items() if key not in present]
    if stray and present:
        first = present[0]
        placed[first] = " ".join(filter(None, [placed.get(first), *stray]))
    return {key: message[:2000] for key, message in placed.items()}


def answer_submission(ack: Ack, view: dict[str, Any], action: Callable[[], dict[str, Any] | None]) -> None:
    """Run the submission; ack with its response, or with `response_action: errors`."""
    try:
        response = action()
    except RepeatedRequest:
        ack()  # a retry of a submission already answered: an empty answer, as to any retry
        raise
    except FieldErrors as error:
        ack(response_action="errors", errors=errors_for_view(view, error.errors))
        return
    except DomainError as error:
        ack(response_action="errors", errors=errors_for_view(view, {"": str(error)}))
        return
    except Exception:
        reference = uuid.uuid4().hex[:8]
        log.exception("view submission failed (reference %s)", reference)
        message = (
            f"Something went wrong on our side (reference {reference}). Nothing was saved; please try again."
        )
        ack(response_action="errors", errors=errors_for_view(view, {"": message}))
        return
    if response:
        ack(**response)
    else:
        ack()
