"""Posting and updating messages from outbox deliveries, with Slack errors turned into
DeliveryFailed sentences for the helpdesk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from bot.outbox.handlers import DeliveryFailed

# The bot cannot post here; a DM to the person who asked is the fallback.
CHANNEL_UNREACHABLE = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
# Configuration problems: retrying the same call cannot help until someone fixes the app.
NEEDS_ADMIN = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "missing_scope",
    "no_permission",
}


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


def _blocks(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def delivery_failure(error: SlackApiError, *, what: str) -> DeliveryFailed:
    code = str(error.response.get("error") or "unknown_error")
    if code == "ratelimited":
        retry_after = float(error.response.headers.get("Retry-After", "30"))
        return DeliveryFailed(f"Slack is rate-limiting {what}; trying again shortly", retry_after=retry_after)
    if code in NEEDS_ADMIN:
        return DeliveryFailed(f"Slack refused {what} ({code}): check SLACK_BOT_TOKEN and the app's scopes")
    if code in ("invalid_blocks", "invalid_arguments", "msg_too_long", "no_text"):
        return DeliveryFailed(f"Slack rejected {what} ({code})", permanent=True)
    return DeliveryFailed(f"Slack could not complete {what} ({code})")


def post_or_dm(
    client: WebClient, *, channel: str, fallback_user: str | None, blocks: Sequence[Block], text: str
) -> Posted:
    """Post to the channel; if the bot is not in it, post to the person instead (a DM)."""
    try:
        response = client.chat_postMessage(
            channel=channel, blocks=_blocks(blocks), text=text, unfurl_links=False
        )
    except SlackApiError as error:
        if (
            error.response.get("error") not in CHANNEL_UNREACHABLE
            or not fallback_user
            or fallback_user == channel
        ):
            raise delivery_failure(error, what="posting the message") from None
        try:
            response = client.chat_postMessage(channel=fallback_user, blocks=_blocks(blocks), text=text)
        except SlackApiError as dm_error:
            raise delivery_failure(dm_error, what="sending the direct message") from None
    return Posted(channel=str(response["channel"]), ts=str(response["ts"]))


def update_message(client: WebClient, *, channel: str, ts: str, blocks: Sequence[Block], text: str) -> bool:
    """Update in place; False when the message is gone (deleted, or its channel archived)."""
    try:
        client.chat_update(channel=channel, ts=ts, blocks=_blocks(blocks), text=text)
    except SlackApiError as error:
        if error.response.get("error") in ("message_not_found", "channel_not_found", "cant_update_message"):
            return False
        raise delivery_failure(error, what="updating the message") from None
    return True
