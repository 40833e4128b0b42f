"""Slack's mrkdwn as safe HTML, for the console: *bold*, _italic_, ~strike~, `code`, ```pre```,
> quotes, links `<url|text>`, mentions `<@U…>`, `<#C…>`, `<!subteam^S…>`, `<!here>`, dates
`<!date^…|fallback>`, emoji shortcodes, and the three entities Slack escapes (&amp; &lt; &gt;).

Everything that reaches the page goes through `markupsafe.escape`: message text cannot inject
HTML, and links only keep http(s) and mailto targets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

EMOJI: dict[str, str] = {
    "hourglass_flowing_sand": "\u23f3",
    "hourglass": "\u231b",
    "white_check_mark": "\u2705",
    "heavy_check_mark": "\u2714\ufe0f",
    "check": "\u2714\ufe0f",
    "x": "\u274c",
    "warning": "\u26a0\ufe0f",
    "no_entry": "\u26d4",
    "no_entry_sign": "\U0001f6ab",
    "lock": "\U0001f512",
    "key": "\U0001f511",
    "email": "\U0001f4e7",
    "envelope": "\u2709\ufe0f",
    "incoming_envelope": "\U0001f4e8",
    "bell": "\U0001f514",
    "information_source": "\u2139\ufe0f",
    "bust_in_silhouette": "\U0001f464",
    "busts_in_silhouette": "\U0001f465",
    "floppy_disk": "\U0001f4be",
    "cd": "\U0001f4bf",
    "package": "\U0001f4e6",
    "iphone": "\U0001f4f1",
    "calendar": "\U0001f4c5",
    "clock3": "\U0001f552",
    "gear": "\u2699\ufe0f",
    "wrench": "\U0001f527",
    "rotating_light": "\U0001f6a8",
    "red_circle": "\U0001f534",
    "large_green_circle": "\U0001f7e2",
    "large_yellow_circle": "\U0001f7e1",
    "tada": "\U0001f389",
    "wave": "\U0001f44b",
    "thumbsup": "\U0001f44d",
    "+1": "\U0001f44d",
    "eyes": "\U0001f440",
    "mag": "\U0001f50d",
    "arrows_counterclockwise": "\U0001f504",
    "repeat": "\U0001f501",
    "memo": "\U0001f4dd",
    "clipboard": "\U0001f4cb",
    "link": "\U0001f517",
}

_SPECIAL = re.compile(r"<([^<>\n]+)>")
_CODE = re.compile(r"```(.+?)```|`([^`\n]+)`", re.DOTALL)
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")
_SAFE_SCHEMES = ("http://", "https://", "mailto:")


@dataclass(frozen=True)
class RenderContext:
    """What turns ids into names and timestamps into dates for the person looking."""

    users: Mapping[str, str] = field(default_factory=dict)  # user id -> display name
    channels: Mapping[str, str] = field(default_factory=dict)  # channel id -> name
    usergroups: Mapping[str, str] = field(default_factory=dict)  # group id -> handle
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


def unescape_slack(text: str) -> str:
    """Slack's three entities back to characters (the rest of the text is literal)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def emojify(text: str) -> str:
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def render_plain(text: str, *, emoji: bool = True) -> Markup:
    """A plain_text object: shown as typed (emoji shortcodes converted when `emoji`)."""
    return escape(emojify(text) if emoji else text)


def safe_href(url: str) -> str | None:
    url = url.strip()
    return url if url.lower().startswith(_SAFE_SCHEMES) else None


def link(url: str, label: str) -> Markup:
    href = safe_href(url)
    if href is None:
        return escape(label)
    return Markup('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>').format(href, label)


def render_mrkdwn(text: str, ctx: RenderContext, *, verbatim: bool = False) -> Markup:
    """A mrkdwn text object as HTML. `verbatim` keeps formatting characters as they are (links
    and mentions still render, as in Slack)."""
    parts: list[Markup] = []
    position = 0
    for match in _CODE.finditer(text):
        parts.append(_inline(text[position : match.start()], ctx, verbatim=verbatim))
        if match.group(1) is not None:
            parts.append(Markup("<pre>{}</pre>").format(unescape_slack(match.group(1).strip("\n"))))
        else:
            parts.append(Markup("<code>{}</code>").format(unescape_slack(match.group(2))))
        position = match.end()
    parts.append(_inline(text[position:], ctx, verbatim=verbatim))
    return Markup("").join(parts)


def _inline(text: str, ctx: RenderContext, *, verbatim: bool) -> Markup:
    if not text:
        return Markup("")
    specials: list[Markup] = []

    def hold(match: re.Match[str]) -> str:
        specials.append(_special(match.group(1), ctx))
        return f"\x00{len(specials) - 1}\x00"

    held = _SPECIAL.sub(hold, text)
    # Escape the literal text (placeholders hold no markup characters), then format it.
    html = str(escape(emojify(unescape_slack(held))))
    if not verbatim:
        html = _BOLD.sub(r"<strong>\1</strong>", html)
        html = _ITALIC.sub(r"<em>\1</em>", html)
        html = _STRIKE.sub(r"<del>\1</del>", html)
        html = _quotes(html)
    html = html.replace("\n", "<br>")
    # Safe: `html` is escaped text plus our own tags, and every special was built with Markup.
    return Markup(_PLACEHOLDER.sub(lambda m: str(specials[int(m.group(1))]), html))  # noqa: S704


def _quotes(html: str) -> str:
    """Lines starting with `>` (escaped: &gt;) become block quotes."""
    out: list[str] = []
    quote: list[str] = []
    for line in html.split("\n"):
        if line.startswith("&gt;"):
            quote.append(line.removeprefix("&gt;").removeprefix(" "))
            continue
        if quote:
            out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
            quote = []
        out.append(line)
    if quote:
        out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
    return "\n".join(out).replace("</blockquote>\n", "</blockquote>")


def _special(inner: str, ctx: RenderContext) -> Markup:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        name = label or ctx.users.get(target[1:]) or target[1:]
        return Markup('<span class="mention">@{}</span>').format(unescape_slack(name))
    if target.startswith("#"):
        name = label or ctx.channels.get(target[1:]) or target[1:]
        return Markup('<span class="mention">#{}</span>').format(unescape_slack(name))
    if target.startswith("!"):
        return _command(target[1:], unescape_slack(label), ctx)
    url = unescape_slack(target)
    return link(url, unescape_slack(label) if label else url)


def _command(command: str, label: str, ctx: RenderContext) -> Markup:
    if command in ("here", "channel", "everyone"):
        return Markup('<span class="mention">@{}</span>').format(command)
    if command.startswith("subteam^"):
        group = command.split("^", 1)[1]
        name = label or "@" + ctx.usergroups.get(group, group)
        return Markup('<span class="mention">{}</span>').format(name)
    if command.startswith("date^"):
        return _date(command.split("^")[1:], label, ctx)
    return escape(label or f"<!{command}>")


def _date(parts: list[str], fallback: str, ctx: RenderContext) -> Markup:
    try:
        moment = datetime.fromtimestamp(int(parts[0]), UTC)
    except (ValueError, IndexError, OverflowError):
        return escape(fallback)
    shown = format_date(moment, parts[1] if len(parts) > 1 else "{date}", ctx)
    html = Markup('<time datetime="{}" title="{}">{}</time>').format(
        moment.isoformat(), fallback or moment.isoformat(), shown
    )
    if len(parts) > 2:
        href = safe_href(parts[2])
        if href is not None:
            return Markup('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>').format(href, html)
    return html


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _clock(moment: datetime, *, seconds: bool) -> str:
    hour = moment.hour % 12 or 12
    tail = f":{moment.second:02d}" if seconds else ""
    return f"{hour}:{moment.minute:02d}{tail} {'AM' if moment.hour < 12 else 'PM'}"


def _ago(moment: datetime, now: datetime) -> str:
    seconds = int((now - moment).total_seconds())
    future, seconds = seconds < 0, abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            words = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {words}" if future else f"{words} ago"
    return "just now"


def format_date(moment: datetime, template: str, ctx: RenderContext) -> str:
    """Slack's date tokens ({date_num}, {date}, {date_short}, {date_long}, their _pretty forms,
    {time}, {time_secs}, {ago}) in the viewer's time zone."""
    local = moment.astimezone(ctx.tz)
    today = ctx.now.astimezone(ctx.tz).date()
    relative = {today: "today", today - timedelta(days=1): "yesterday", today + timedelta(days=1): "tomorrow"}
    formats: dict[str, Callable[[], str]] = {
        "date_num": lambda: local.strftime("%Y-%m-%d"),
        "date": lambda: f"{local:%B} {_ordinal(local.day)}, {local.year}",
        "date_short": lambda: f"{local:%b} {local.day}, {local.year}",
        "date_long": lambda: f"{local:%A}, {local:%B} {_ordinal(local.day)}, {local.year}",
        "time": lambda: _clock(local, seconds=False),
        "time_secs": lambda: _clock(local, seconds=True),
        "ago": lambda: _ago(moment, ctx.now),
    }

    def token(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.endswith("_pretty") and name.removesuffix("_pretty") in formats:
            word = relative.get(local.date())
            return word if word is not None else formats[name.removesuffix("_pretty")]()
        return formats[name]() if name in formats else match.group(0)

    return re.sub(r"\{([a-z_]+)\}", token, template)
