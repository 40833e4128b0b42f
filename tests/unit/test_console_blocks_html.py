"""Block Kit blocks and elements as the console draws them: structure, labels tied to their controls,
values from the view state, errors under the right field, and everything escaped."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from console.html_blocks import render_blocks
from console.html_elements import Surface
from console.mrkdwn import RenderContext

CTX = RenderContext(users={"U0HELEN01": "Helen Desk"})
EVIL = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def option(value: str, text: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


class Tags(HTMLParser):
    """Every start tag with its attributes, to assert on structure rather than on spacing."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a
            for t, a in self.tags
            if t == tag and all(a.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]


def draw(blocks: list[dict[str, Any]], **surface: Any) -> str:
    return str(render_blocks(blocks, Surface(CTX, prefix="t", **surface)))


def test_message_blocks() -> None:
    html = draw(
        [
            {"type": "header", "block_id": "h", "text": plain("Backup user created: John")},
            {
                "type": "section",
                "block_id": "s",
                "text": mrkdwn("Added by <@U0HELEN01>"),
                "fields": [mrkdwn("*Name*\nJohn"), mrkdwn("*Role*\nUser")],
            },
            {"type": "divider", "block_id": "d"},
            {
                "type": "context",
                "block_id": "c",
                "elements": [
                    mrkdwn("_small print_"),
                    {"type": "image", "image_url": "https://x/y.png", "alt_text": "logo"},
                ],
            },
            {"type": "rich_text", "block_id": "r", "elements": []},
        ]
    )
    assert '<h3 class="bk-header">Backup user created: John</h3>' in html
    assert '<span class="mention">@Helen Desk</span>' in html
    assert html.count('class="bk-field-cell"') == 2 and "<strong>Name</strong><br>John" in html
    assert '<hr class="bk-divider">' in html and "<em>small print</em>" in html
    assert 'aria-label="logo"' in html and "https://x/y.png" not in html  # no outside requests
    assert "a rich_text block the console does not draw" in html


def test_buttons_carry_their_ids_style_and_confirmation() -> None:
    confirm = {
        "title": plain("Send?"),
        "text": mrkdwn("To *john*"),
        "confirm": plain("Send"),
        "deny": plain("No"),
        "style": "danger",
    }
    html = draw(
        [
            {
                "type": "actions",
                "block_id": "card",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "go",
                        "text": plain("Activate"),
                        "value": '{"user_id":1}',
                        "style": "primary",
                    },
                    {
                        "type": "button",
                        "action_id": "stop",
                        "text": plain("Revoke"),
                        "style": "danger",
                        "confirm": confirm,
                    },
                    {
                        "type": "button",
                        "action_id": "open",
                        "text": plain("Docs"),
                        "url": "javascript:alert(1)",
                    },
                ],
            }
        ]
    )
    tags = Tags(html)
    [go] = tags.find("button", data_action_id="go")
    assert go["class"] == "bk-button bk-primary" and go["data-value"] == '{"user_id":1}'
    assert go["data-block-id"] == "card" and go["data-dispatch"] == "1" and go["type"] == "button"
    assert tags.find("button", data_action_id="stop")[0]["class"] == "bk-button bk-danger"
    assert 'class="bk-confirm" hidden data-style="danger"' in html and "To <strong>john</strong>" in html
    assert tags.find("button", data_action_id="open")[0].get("data-url") is None


def test_input_blocks_tie_label_hint_and_error_to_the_control() -> None:
    blocks = [
        {
            "type": "input",
            "block_id": "email",
            "label": plain("Email"),
            "hint": plain("The user signs in with this address."),
            "element": {
                "type": "email_text_input",
                "action_id": "email",
                "placeholder": plain("name@company.com"),
            },
        },
        {
            "type": "input",
            "block_id": "notes",
            "optional": True,
            "label": plain("Notes"),
            "element": {
                "type": "plain_text_input",
                "action_id": "notes",
                "multiline": True,
                "max_length": 500,
            },
        },
        {
            "type": "input",
            "block_id": "quota",
            "label": plain("Storage"),
            "element": {"type": "number_input", "action_id": "quota", "is_decimal_allowed": False},
        },
    ]
    state = {
        "email": {"email": {"type": "email_text_input", "value": "john@"}},
        "notes": {"notes": {"type": "plain_text_input", "value": "line 1\n<b>line 2</b>"}},
    }
    html = draw(blocks, state=state, errors={"email": "Enter a valid address"})
    tags = Tags(html)
    [field] = tags.find("input", data_block_id="email")
    assert field["type"] == "email" and field["value"] == "john@" and field["aria-invalid"] == "true"
    assert field["aria-describedby"] == "t-b0-input-hint t-b0-input-error"
    [label] = tags.find("label", for_=str(field["id"]))
    assert label["id"] == "t-b0-input-label"
    assert '<p class="bk-error" id="t-b0-input-error" role="alert">Enter a valid address</p>' in html
    assert 'class="bk-input has-error" data-input-block="email"' in html
    [notes] = tags.find("textarea")
    assert notes["maxlength"] == "500" and "line 1\n&lt;b&gt;line 2&lt;/b&gt;</textarea>" in html
    assert "(optional)" in html
    [quota] = tags.find("input", data_block_id="quota")
    assert quota["inputmode"] == "numeric" and quota.get("aria-invalid") is None
    assert all(
        a.get("data-dispatch") is None for _, a in tags.tags if a.get("data-block-id") in ("email", "notes")
    )


def test_choices_show_the_state_and_dispatch_only_when_asked() -> None:
    role = {
        "type": "input",
        "block_id": "role",
        "dispatch_action": True,
        "label": plain("Role"),
        "element": {
            "type": "radio_buttons",
            "action_id": "role",
            "initial_option": option("user", "User"),
            "options": [option("user", "User"), option("administrator", "Administrator")],
        },
    }
    services = {
        "type": "input",
        "block_id": "services",
        "label": plain("Assign services"),
        "element": {"type": "checkboxes", "action_id": "services", "options": [option("backup", "Backup")]},
    }
    plan = {
        "type": "input",
        "block_id": "plan",
        "label": plain("Subscription"),
        "element": {
            "type": "static_select",
            "action_id": "plan",
            "placeholder": plain("Choose the subscription"),
            "options": [option("1", "PAYG"), option("2", "Capped Storage")],
        },
    }
    state = {
        "role": {
            "role": {"type": "radio_buttons", "selected_option": option("administrator", "Administrator")}
        },
        "services": {"services": {"type": "checkboxes", "selected_options": [option("backup", "Backup")]}},
        "plan": {"plan": {"type": "static_select", "selected_option": option("2", "Capped Storage")}},
    }
    tags = Tags(draw([role, services, plan], state=state))
    radios = tags.find("input", type="radio")
    assert [r["value"] for r in radios if "checked" in r] == ["administrator"]
    assert all(r["data-dispatch"] == "1" for r in radios)
    [backup] = tags.find("input", type="checkbox")
    assert "checked" in backup and backup.get("data-dispatch") is None
    assert [a["value"] for a in tags.find("option") if "selected" in a] == ["2"]
    [group] = tags.find("div", role="radiogroup")
    assert group["aria-labelledby"] == "t-b0-input-label"


def test_initial_values_show_without_state() -> None:
    tags = Tags(
        draw(
            [
                {
                    "type": "section",
                    "block_id": "pick",
                    "text": mrkdwn("Notifications"),
                    "accessory": {
                        "type": "static_select",
                        "action_id": "pick",
                        "initial_option": option("all", "All"),
                        "options": [option("none", "None"), option("all", "All")],
                    },
                }
            ]
        )
    )
    [select] = tags.find("select")
    assert select["data-dispatch"] == "1" and select["aria-label"] == "Notifications"
    assert [a["value"] for a in tags.find("option") if "selected" in a] == ["all"]


def test_everything_is_escaped() -> None:
    html = draw(
        [
            {"type": "header", "block_id": EVIL, "text": plain(EVIL)},
            {"type": "section", "block_id": "s", "text": mrkdwn(EVIL), "fields": [plain(EVIL)]},
            {
                "type": "actions",
                "block_id": "a",
                "elements": [
                    {"type": "button", "action_id": EVIL, "text": plain(EVIL), "value": EVIL},
                    {
                        "type": "static_select",
                        "action_id": "x",
                        "placeholder": plain(EVIL),
                        "options": [option(EVIL, EVIL)],
                    },
                ],
            },
            {
                "type": "input",
                "block_id": "i",
                "label": plain(EVIL),
                "element": {"type": "plain_text_input", "action_id": "i", "initial_value": EVIL},
            },
        ],
        errors={"i": EVIL},
    )
    tags = Tags(html)
    assert not tags.find("script") and not tags.find("img")
    assert all("onerror" not in attrs for _, attrs in tags.tags)
