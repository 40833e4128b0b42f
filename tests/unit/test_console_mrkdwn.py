"""Slack mrkdwn as the console shows it: formatting, links, mentions, dates, entities, and no way for
message text to become markup."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from console.mrkdwn import RenderContext, format_date, render_mrkdwn, render_plain

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CTX = RenderContext(
    users={"U0HELEN01": "Helen Desk"},
    channels={"C0HELPDSK": "helpdesk"},
    usergroups={"S0HELPDSK": "helpdesk"},
    tz=ZoneInfo("Europe/Amsterdam"),
    now=NOW,
)


def html(text: str, **kwargs: bool) -> str:
    return str(render_mrkdwn(text, CTX, **kwargs))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*bold*", "<strong>bold</strong>"),
        ("_italic_", "<em>italic</em>"),
        ("~gone~", "<del>gone</del>"),
        ("a *b* and _c_", "a <strong>b</strong> and <em>c</em>"),
        ("`x = 1`", "<code>x = 1</code>"),
        ("```line 1\nline 2```", "<pre>line 1\nline 2</pre>"),
        ("one\ntwo", "one<br>two"),
        ("> quoted\nafter", "<blockquote>quoted</blockquote>after"),
    ],
)
def test_formatting(text: str, expected: str) -> None:
    assert html(text) == expected


@pytest.mark.parametrize(
    "text",
    ["snake_case_name", "2*3*4", "file_name_v2.txt", "* not bold *", "a_b c_d"],
)
def test_formatting_characters_inside_words_stay_literal(text: str) -> None:
    assert "<strong>" not in html(text) and "<em>" not in html(text) and "<del>" not in html(text)


def test_code_is_not_formatted_inside() -> None:
    assert html("`*not bold*`") == "<code>*not bold*</code>"


def test_verbatim_keeps_formatting_characters() -> None:
    assert html("*as typed*", verbatim=True) == "*as typed*"


def test_links() -> None:
    assert html("<https://example.com|the site>") == (
        '<a href="https://example.com" target="_blank" rel="noopener noreferrer">the site</a>'
    )
    assert 'href="https://example.com/a?b=1&amp;c=2"' in html("<https://example.com/a?b=1&amp;c=2>")
    assert 'href="mailto:john@example.com"' in html("<mailto:john@example.com|john@example.com>")


@pytest.mark.parametrize(
    "target", ["javascript:alert(1)", "data:text/html,hi", "vbscript:x", "file:///etc/passwd"]
)
def test_only_web_and_mail_links_become_links(target: str) -> None:
    rendered = html(f"<{target}|click>")
    assert "<a " not in rendered and rendered == "click"


def test_mentions_show_names() -> None:
    assert html("<@U0HELEN01>") == '<span class="mention">@Helen Desk</span>'
    assert html("<@U0NOBODY>") == '<span class="mention">@U0NOBODY</span>'
    assert html("<#C0HELPDSK>") == '<span class="mention">#helpdesk</span>'
    assert html("<#C0OTHER|other>") == '<span class="mention">#other</span>'
    assert html("<!subteam^S0HELPDSK>") == '<span class="mention">@helpdesk</span>'
    assert html("<!here>") == '<span class="mention">@here</span>'


def test_entities_and_html_are_text() -> None:
    assert html("a &lt;b&gt; &amp; c") == "a &lt;b&gt; &amp; c"
    assert html("&lt;script&gt;alert(1)&lt;/script&gt;") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "<img" not in html("<img src=x onerror=alert(1)>")
    assert "<script" not in html("<script>alert(1)</script>")


def test_a_link_cannot_break_out_of_its_attribute() -> None:
    rendered = html('<https://example.com/"onmouseover="alert(1)|x>')
    assert 'onmouseover="' not in rendered and "&#34;onmouseover=&#34;" in rendered


def test_plain_text_is_escaped_and_emoji_are_drawn() -> None:
    assert (
        str(render_plain("<b>Tom & Jerry</b> :white_check_mark:"))
        == "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt; \u2705"
    )
    assert str(render_plain(":white_check_mark:", emoji=False)) == ":white_check_mark:"
    assert html(":no_such_emoji: 10:46:30") == ":no_such_emoji: 10:46:30"


def test_dates_in_the_viewers_time_zone() -> None:
    stamp = int(datetime(2026, 3, 10, 22, 46, tzinfo=UTC).timestamp())
    rendered = html(f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|2026-03-10 22:46 UTC>")
    # 22:46 UTC is 23:46 in Amsterdam, still "today" there.
    assert ">today at 11:46 PM</time>" in rendered
    assert 'title="2026-03-10 22:46 UTC"' in rendered and 'datetime="2026-03-10T22:46:00+00:00"' in rendered


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{date_num}", "2026-03-01"),
        ("{date}", "March 1st, 2026"),
        ("{date_short}", "Mar 1, 2026"),
        ("{date_long}", "Sunday, March 1st, 2026"),
        ("{date_pretty}", "March 1st, 2026"),
        ("{time}", "9:05 AM"),
        ("{time_secs}", "9:05:07 AM"),
        ("{ago}", "9 days ago"),
        ("on {date_short} at {time} {unknown}", "on Mar 1, 2026 at 9:05 AM {unknown}"),
    ],
)
def test_date_tokens(template: str, expected: str) -> None:
    moment = datetime(2026, 3, 1, 8, 5, 7, tzinfo=UTC)  # 09:05:07 in Amsterdam
    assert format_date(moment, template, CTX) == expected


def test_pretty_dates_and_links() -> None:
    yesterday = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    assert format_date(yesterday, "{date_long_pretty}", CTX) == "yesterday"
    tomorrow = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
    assert format_date(tomorrow, "{date_pretty}", CTX) == "tomorrow"
    stamp = int(yesterday.timestamp())
    linked = html(f"<!date^{stamp}^{{date}}^https://example.com/log|fallback>")
    assert linked.startswith('<a href="https://example.com/log"') and "March 9th, 2026" in linked
    assert html("<!date^not-a-number^{date}|the fallback>") == "the fallback"
