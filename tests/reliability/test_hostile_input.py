"""Hostile input, part one: LDAP filter syntax typed into the directory search, line breaks typed
into e-mail addresses and names (header injection), HTML in names that end up in e-mails, pages
and Slack cards, and names in any script. Nothing typed can change a filter, add a header or
markup, or mention @channel; what is refused is refused under the field, and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.accounts.models import BackupUser
from bot.integrations.directory.factory import build_directory
from bot.integrations.directory.port import DirectoryUser, MatchMode
from console import SlackEmulator
from console.viewhandle import ViewHandle
from tests.e2e.backup_flows import activation_link, fill_user, open_add_user
from tests.e2e.enroll_flows import LANDING_LINK, add_result, open_invite, search
from tests.reliability.conftest import SQLITE_ONLY
from tests.reliability.helpers import count_rows, emails, html_body, plain_body, table_counts
from tests.support.app import RunningApp, run_app
from tests.support.reliability import Figures
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER, seed_helpdesk
from tests.support.slapd import READER_DN, READER_PASSWORD, Slapd

FILTER_CHARACTERS = "*()\\&|!=<>~:,;\x00"
SCRIPT = "<script>alert('owned')</script>"
INJECTED = "victim@example.com\r\nBcc: thief@attacker.example"


def literal_match(user: DirectoryUser, text: str, mode: MatchMode) -> bool:
    wanted = text.casefold()
    fields = [user.display_name, user.first_name, user.last_name, user.account_name, user.email]
    values = [f.casefold() for f in fields if f]
    if mode is MatchMode.BEGINS_WITH:
        return any(value.startswith(wanted) for value in values)
    return any(wanted in value for value in values)


@pytest.mark.slapd
def test_ldap_filter_characters_are_searched_for_literally(
    slapd_server: Slapd, figures: Figures, request: pytest.FixtureRequest
) -> None:
    directory = build_directory(
        slapd_server.url, bind_dn=READER_DN, bind_password=READER_PASSWORD, profile="openldap"
    )
    tried: list[str] = []

    @settings(
        max_examples=300 if request.config.getoption("--long") else 60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        st.text(alphabet=FILTER_CHARACTERS + "aeoSTLJ", min_size=1, max_size=12),
        st.sampled_from(list(MatchMode)),
    )
    def only_literal_matches(text: str, mode: MatchMode) -> None:
        tried.append(text)
        result = directory.search(text, mode, limit=50)
        wrong = [u.display_name for u in result.users if not literal_match(u, text, mode)]
        assert not wrong, f"{text!r} ({mode}) found {wrong}"
        for group in result.groups:
            name = group.name.casefold()
            found = (
                name.startswith(text.casefold()) if mode is MatchMode.BEGINS_WITH else text.casefold() in name
            )
            assert found, f"{text!r} ({mode}) found the group {group.name}"

    try:
        only_literal_matches()
        # The names that hold filter characters are found by them, and only they.
        assert [u.display_name for u in directory.search("Star*", MatchMode.BEGINS_WITH).users] == [
            "Star*Light Studio"
        ]
        assert [u.display_name for u in directory.search("(Temp)", MatchMode.BEGINS_WITH).users] == [
            "(Temp) Pat Wells"
        ]
        assert [u.display_name for u in directory.search(")(", MatchMode.CONTAINS).users] == [
            "Odd )( Bracket"
        ]
        assert directory.search("*", MatchMode.BEGINS_WITH).users == []
        assert directory.search("*)(uid=*", MatchMode.CONTAINS).users == []
    finally:
        directory.close()
    figures.add("LDAP searches with filter characters", len(tried) + 5)


@SQLITE_ONLY
@pytest.mark.slapd
def test_filter_characters_in_the_modal_find_nobody_they_do_not_name(
    slack_emulator: SlackEmulator, database_url: str, tmp_path: Path, slapd_server: Slapd, figures: Figures
) -> None:
    seed_helpdesk(slack_emulator)
    figures.watch(slack_emulator)
    with run_app(
        slack_emulator,
        database_url,
        tmp_path,
        directory_url=slapd_server.url,
        directory_bind_dn=READER_DN,
        directory_bind_password=READER_PASSWORD,
        directory_profile="openldap",
    ):
        view = open_invite(slack_emulator.person(HELPDESK_USER))
        for typed in ("*)(objectClass=*", "admin)(|(uid=*", "\\2a", "*)(mail=*"):
            search(view, typed, contains=True)
            assert "Nobody matches" in view.all_text(), typed
        search(view, "*", contains=True)  # the only name with a literal star in it
        assert "Star*Light Studio" in view.all_text() and "John Doe" not in view.all_text()
        search(view, "Star*")
        assert "Star*Light Studio" in view.all_text() and "John Doe" not in view.all_text()
        figures.add("hostile inputs tried", 5)


def mrkdwn_texts(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [str(node["text"])] if node.get("type") == "mrkdwn" else []
        return found + [t for value in node.values() for t in mrkdwn_texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in mrkdwn_texts(item)]
    return []


def force(view: ViewHandle, block_id: str, text: str) -> None:
    """What a modified client could put in the field (past Slack's own input checks)."""
    element = view.block(block_id)["element"]
    view.driver.workspace.views.set_value(
        view.id, block_id, str(element["action_id"]), {"type": element["type"], "value": text}
    )


@SQLITE_ONLY
def test_line_breaks_in_addresses_and_names_are_refused_under_the_field(
    helpdesk_app: RunningApp, slack_emulator: SlackEmulator, figures: Figures
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    rows = table_counts(helpdesk_app.deps.db)
    view = open_add_user(helen, "Globex")
    fill_user(view, "Eve", "Mallory", "eve@example.com")
    view.tick("separate_notification_email", ["separate"])
    view.wait_for_update()
    cases = {
        "email": (INJECTED, "cannot contain line breaks"),
        "notification_email": (INJECTED, "cannot contain line breaks"),
        "first_name": (
            "Eve\r\nBcc: thief@attacker.example",
            "cannot contain control characters or line breaks",
        ),
        "last_name": ("Mallory\nX-Injected: yes", "cannot contain control characters or line breaks"),
    }
    for block_id, (typed, message) in cases.items():
        fill_user(view, "Eve", "Mallory", "eve@example.com")
        view.fill("notification_email", "eve.notify@example.com")
        force(view, block_id, typed)
        result = view.submit(force=True)
        assert result.errors is not None and message in result.errors.get(block_id, ""), (
            block_id,
            result.errors,
        )
        figures.add("hostile inputs tried")
    # The invitation modal's e-mail editor refuses them too.
    invite = open_invite(helen)
    search(invite, "Field")
    add_result(invite, "Field Engineers")
    value = next(
        e["value"]
        for b in invite.blocks
        for e in b.get("elements") or []
        if e.get("action_id") == "enroll.invite.edit_email"
    )
    invite.click("enroll.invite.edit_email", value=value)
    editor = helen.wait_for_view(callback_id="enroll.invite.edit_email")
    force(editor, "email", INJECTED)
    refused = editor.submit(force=True)
    assert refused.errors is not None and "line breaks" in refused.errors["email"]
    figures.add("hostile inputs tried")
    helpdesk_app.wait_for_outbox()
    after = table_counts(helpdesk_app.deps.db)
    assert {k: v for k, v in after.items() if k not in ("invite_drafts", "draft_invitees")} == {
        k: v for k, v in rows.items() if k not in ("invite_drafts", "draft_invitees")
    }
    assert count_rows(helpdesk_app.deps.db, BackupUser) == 0


def hostile_directory(path: Path) -> Path:
    users = [
        {
            "account_name": "mallory",
            "display_name": f"Mallory {SCRIPT} <b>Bold</b> <!channel>",
            "first_name": "Mallory",
            "last_name": "<i>Evil</i>",
            "email": "mallory@example.com",
        },
        {"account_name": "trudy", "display_name": "Trudy Inject", "email": INJECTED},
        {
            "account_name": "zoe",
            "display_name": "Zoë Ñandú 李小龍 👩‍💻 \u202eevil",
            "email": "zoe@example.com",
        },
    ]
    group = {"id": "hostile", "name": "Hostile People", "members": ["mallory", "trudy", "zoe"]}
    path.write_text(yaml.safe_dump({"users": users, "groups": [group]}, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def hostile_app(
    slack_emulator: SlackEmulator, database_url: str, tmp_path: Path, figures: Figures
) -> Iterator[RunningApp]:
    seed_helpdesk(slack_emulator)
    figures.watch(slack_emulator)
    with run_app(
        slack_emulator, database_url, tmp_path, directory_url=str(hostile_directory(tmp_path / "people.yaml"))
    ) as app:
        yield app


@SQLITE_ONLY
def test_html_and_any_script_in_names_is_shown_as_typed_never_as_markup(
    hostile_app: RunningApp, slack_emulator: SlackEmulator, figures: Figures
) -> None:
    app = hostile_app
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_add_user(helen, "Globex")
    fill_user(view, SCRIPT, "<b>Bold</b> <!channel>", "html.person@example.com")
    view.tick("services", [])
    view.wait_for_update()
    assert view.submit().errors is None
    app.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    formatted = [*mrkdwn_texts(card.blocks), card.text]  # what Slack reads as markup (plain_text is not)
    assert not [t for t in formatted if "<!channel>" in t or "<script" in t], formatted
    assert any("&lt;!channel&gt;" in t for t in formatted)
    helen.click(card, "backup.user.activate")
    app.wait_for_outbox()
    [mail] = emails(app)
    assert SCRIPT not in html_body(mail) and "&lt;script&gt;" in html_body(mail)
    link = activation_link(mail)
    page = httpx.get(link, timeout=10)
    assert page.status_code == 200 and SCRIPT not in page.text and "&lt;script&gt;" in page.text

    invite = open_invite(helen)
    search(invite, "Hostile")
    add_result(invite, "Hostile People")
    invite.choose("platform", "ios")
    invite.wait_for_update()
    assert invite.submit().closed
    app.wait_for_outbox()
    sent = [m for m in emails(app) if "Acronis Access" in str(m["Subject"])]
    recipients = sorted(str(m["To"]) for m in sent)
    assert recipients == ["mallory@example.com", "zoe@example.com"]  # never the injected address
    assert all(m["Bcc"] is None and "attacker" not in m.as_string() for m in emails(app))
    mallory = next(m for m in sent if m["To"] == "mallory@example.com")
    assert SCRIPT not in html_body(mallory) and "&lt;script&gt;" in html_body(mallory)
    [landing] = set(LANDING_LINK.findall(plain_body(mallory)))
    page = httpx.get(landing, timeout=10)
    assert page.status_code == 200 and SCRIPT not in page.text and "&lt;script&gt;" in page.text
    zoe = next(m for m in sent if m["To"] == "zoe@example.com")
    assert "Zoë Ñandú 李小龍 👩‍💻" in plain_body(zoe)
    batch = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    assert "2 invitations sent, 1 failed" in batch.all_text()
    assert not [t for t in [*mrkdwn_texts(batch.blocks), batch.text] if "<!channel>" in t]
    figures.add("hostile inputs tried", 6)
