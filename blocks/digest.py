"""The daily digest as Block Kit (rendered from templates/digest.mrkdwn.j2), and as terminal text
for `deskops digest --preview`."""

from __future__ import annotations

import functools
import re
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined
from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, SectionBlock

from blocks.approvals import asked_by
from blocks.text import SECTION_TEXT_MAX, escape, mrkdwn, plain, slack_date
from bot.digest.service import Digest

CUSTOMER_LIMIT = 40
MESSAGE_BLOCKS_MAX = 50
_SEPARATOR = re.compile(r"^---$", re.MULTILINE)
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_MENTION = re.compile(r"<([@#!][^>|]*)(?:\|[^>]*)?>")


@functools.cache
def _templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("blocks", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # noqa: S701 - mrkdwn, not HTML: names are escaped with `esc`
    )
    environment.filters["esc"] = escape
    environment.filters["when"] = slack_date
    environment.filters["asked_by"] = asked_by
    return environment


def day_label(digest: Digest) -> str:
    return f"{digest.day:%A} {digest.day.day} {digest.day:%B %Y}"


def quiet_line(digest: Digest) -> str:
    return f":sunny: Daily digest for {day_label(digest)}: a quiet day, nothing happened and nothing needs a human."


def digest_sections(digest: Digest) -> list[str]:
    """The template's sections, as mrkdwn."""
    text = _templates().get_template("digest.mrkdwn.j2").render(digest=digest, customer_limit=CUSTOMER_LIMIT)
    return [part.strip() for part in _SEPARATOR.split(text) if part.strip()]


def _chunks(text: str, limit: int = SECTION_TEXT_MAX) -> list[str]:
    """Split at line ends so that each piece fits one section (a single over-long line is clipped)."""
    chunks: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw if len(raw) <= limit else raw[: limit - 1] + "…"
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def digest_message(digest: Digest) -> list[Block]:
    if digest.quiet:
        return [SectionBlock(text=mrkdwn(quiet_line(digest)))]
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"Daily digest · {day_label(digest)}", 150)),
        ContextBlock(elements=[mrkdwn(f"From {slack_date(digest.start)} to {slack_date(digest.end)}")]),
    ]
    for index, section in enumerate(digest_sections(digest)):
        if index:
            blocks.append(DividerBlock())
        blocks += [SectionBlock(text=mrkdwn(chunk)) for chunk in _chunks(section)]
    if len(blocks) > MESSAGE_BLOCKS_MAX:
        blocks = blocks[: MESSAGE_BLOCKS_MAX - 1]
        blocks.append(
            ContextBlock(
                elements=[mrkdwn("The digest is too long for one message; see `deskops digest --preview`.")]
            )
        )
    return blocks


def digest_text(digest: Digest) -> str:
    """The notification text of the digest message."""
    if digest.quiet:
        return f"Daily digest for {day_label(digest)}: a quiet day"
    return f"Daily digest for {day_label(digest)}"


def _terminal(mrkdwn_text: str) -> str:
    text = _DATE.sub(lambda m: m.group(1), mrkdwn_text)
    text = _MENTION.sub(lambda m: m.group(1), text)
    text = text.replace("*", "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def digest_preview(digest: Digest) -> str:
    """The digest for a terminal: the same text, without Slack markup."""
    if digest.quiet:
        return _terminal(quiet_line(digest).removeprefix(":sunny: ")) + "\n"
    zone = ZoneInfo(digest.timezone)
    lines = [
        f"Daily digest · {day_label(digest)}",
        f"From {digest.start.astimezone(zone):%Y-%m-%d %H:%M} to {digest.end.astimezone(zone):%Y-%m-%d %H:%M} "
        f"({digest.timezone})",
    ]
    for section in digest_sections(digest):
        lines += ["", _terminal(section)]
    return "\n".join(lines) + "\n"
