"""Text helpers shared by builders: mrkdwn escaping, length limits, dates."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import MarkdownTextObject, Option, PlainTextObject

from bot.config import SLACK_USER_ID

# Block Kit limits used while building. The authoritative figures live in
# ../shared/slack/blockkit-limits.json and every payload is checked against that file in tests.
SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
BUTTON_TEXT_MAX = 75
OPTION_TEXT_MAX = 75
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10


def escape(text: str) -> str:
    """Escape what Slack's mrkdwn treats as markup (&, <, >), so typed text is shown as typed and
    cannot mention @channel or forge links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, limit))


def plain(text: str, limit: int = SECTION_TEXT_MAX) -> PlainTextObject:
    return PlainTextObject(text=clip(text, limit), emoji=True)


def option(text: str, value: str) -> Option:
    return Option(text=plain(text, OPTION_TEXT_MAX), value=value)


def slack_date(moment: datetime, *, fmt: str = "{date_short_pretty} at {time}") -> str:
    """A date every reader sees in their own time zone (with a UTC fallback)."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{fmt}|{fallback}>"


def mention(user_id: str) -> str:
    """A Slack user as a mention; an actor that is not a person (e.g. the enrollment callback) in words."""
    if SLACK_USER_ID.match(user_id):
        return f"<@{user_id}>"
    return escape(user_id.replace("-", " "))
