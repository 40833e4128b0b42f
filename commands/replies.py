"""Answering the person who acted, wherever they acted: under a message (ephemeral), in a
channel, or on their Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from blocks.backup.messages import notice, notice_text
from blocks.text import clip
from bot.deps import Deps
from commands.home_tab import refresh_home

# Slack truncates a message's top-level text at 40,000 characters; a notice is far shorter.
FALLBACK_TEXT_MAX = 3000


def tell_person(
    text: str,
    *,
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    deps: Deps | None,
    suggestions: list[str] | None = None,
) -> None:
    blocks = [block.to_dict() for block in notice(text, suggestions=suggestions or [])]
    fallback = clip(notice_text(text, suggestions=suggestions or []), FALLBACK_TEXT_MAX)
    user_id = context.user_id
    if context.response_url and context.respond is not None:
        context.respond(text=fallback, blocks=blocks, response_type="ephemeral", replace_original=False)
    elif (body.get("view") or {}).get("type") == "home" and user_id and deps is not None:
        refresh_home(deps, client, user_id, notice=text)
    elif context.channel_id and user_id:
        client.chat_postEphemeral(channel=context.channel_id, user=user_id, text=fallback, blocks=blocks)
    elif user_id:
        client.chat_postMessage(channel=user_id, text=fallback, blocks=blocks)
