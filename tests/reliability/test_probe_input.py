"""External probe, what comes back from outside: private_metadata that was changed on its way
through Slack, look-alike addresses and names, weak passwords and bytes that are not text, and the
small ones (NUL in command text, a non-ASCII digit in a select value, JSON nested thousands deep,
pages framed by other sites, SQL parameters in tracebacks, SECRET_KEY in the scrubber, the `text`
fallback of private replies). Each gets a clear answer naming what is wrong, and nothing is stored."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.accounts.models import BackupUser
from bot.config import load_settings
from bot.db import Database
from bot.logs import RedactingFormatter
from bot.serve import secrets_of
from console import SlackEmulator
from console.transport import SentRequest
from tests.e2e.backup_flows import activation_link, add_user_with_backup, fill_user, open_add_user, read_eml
from tests.reliability.conftest import SQLITE_ONLY
from tests.reliability.helpers import count_rows, send, slash_body, submission, table_counts
from tests.support.app import ENROLLMENT_API_KEY, RunningApp
from tests.support.reliability import Figures
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER

OUT_OF_DATE = "This form or button is out of date; please start again."
CYRILLIC_A = "\u0430"
FULLWIDTH_A = "\uff41"
RLO = "\u202e"


def told(emulator: SlackEmulator) -> str:
    texts = [e.all_text() for e in emulator.ephemerals(user=HELPDESK_USER)]
    texts += [m.all_text() for m in emulator.dm_channel(HELPDESK_USER).messages()]
    return "\n".join(texts)


@SQLITE_ONLY
def test_private_metadata_changed_on_its_way_is_refused(
    helpdesk_app: RunningApp, slack_emulator: SlackEmulator, figures: Figures
) -> None:
    """The Acronis Backup Settings step carries the first step's values: changed (an e-mail with a
    CR/LF and a Bcc: header, control characters in the name, another channel for the card) they
    are refused as out of date, and nothing is stored or posted."""
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_add_user(helen, "Globex")
    fill_user(view, "Jane", "Roe", "jane.roe@example.com")
    result = view.submit()
    assert result.view is not None and result.view.callback_id == "backup.add_user.backup_settings"
    settings_view = result.view.view
    sealed = settings_view["private_metadata"]
    carried = json.loads(sealed.partition(".")[2])
    tampered = {
        **carried,
        "email": "jane.roe@example.com\r\nBcc: everyone@example.com",
        "first_name": "Jane\x07\x1b[31m",
        "channel_id": "C0ELSEWHERE",
    }
    rows = table_counts(helpdesk_app.deps.db)
    for metadata in (
        json.dumps(tampered),  # unsealed, as a modified client would send it
        sealed.partition(".")[0] + "." + json.dumps(tampered),  # the old seal over new values
    ):
        body = submission(slack_emulator, HELPDESK_USER, {**settings_view, "private_metadata": metadata})
        answer = send(slack_emulator, "interactivity", body)
        helpdesk_app.wait_for_outbox()
        figures.add("hostile inputs tried")
        assert answer.status == 200
        assert OUT_OF_DATE in answer.text, answer.text
    assert table_counts(helpdesk_app.deps.db) == rows
    assert count_rows(helpdesk_app.deps.db, BackupUser) == 0
    assert not [c for c in slack_emulator.calls("chat.postMessage") if c.args.get("channel") == "C0ELSEWHERE"]
    # The control: the sealed metadata as deskops wrote it still works.
    assert result.view.submit().closed
    helpdesk_app.wait_for_outbox()
    assert count_rows(helpdesk_app.deps.db, BackupUser) == 1


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("email", f"{CYRILLIC_A}lice@example.com", "mixes letters of different scripts"),
        ("email", f"{FULLWIDTH_A}lice@example.com", "full-width"),
        ("email", f"alice{RLO}@example.com", "right-to-left"),
        ("first_name", f"Al{RLO}ecim", "right-to-left"),
        ("last_name", f"Sm{CYRILLIC_A}rt", "mixes letters of different scripts"),
    ],
)
def test_look_alike_addresses_and_names_are_refused_saying_why(
    helpdesk_app: RunningApp,
    slack_emulator: SlackEmulator,
    figures: Figures,
    field: str,
    value: str,
    says: str,
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Globex", email="alice@example.com")
    helpdesk_app.wait_for_outbox()
    view = open_add_user(helen, "Globex")
    values = {"first_name": "Alice", "last_name": "Smart", "email": "alice@example.com"} | {field: value}
    fill_user(view, values["first_name"], values["last_name"], values["email"])
    view.tick("services", [])
    view.wait_for_update()
    result = view.submit()
    figures.add("hostile inputs tried")
    assert result.errors is not None and says in result.errors.get(field, ""), result.errors
    assert count_rows(helpdesk_app.deps.db, BackupUser) == 1


@SQLITE_ONLY
def test_plain_names_in_any_one_script_are_accepted(
    helpdesk_app: RunningApp, slack_emulator: SlackEmulator
) -> None:
    """The control: names and addresses of one script each, accents included, are not look-alikes."""
    helen = slack_emulator.person(HELPDESK_USER)
    for first, last, email in (
        ("José", "Müller", "jose@example.com"),
        ("Анна", "Иванова", "anna@example.com"),
    ):
        view = open_add_user(helen, "Globex")
        fill_user(view, first, last, email)
        view.tick("services", [])
        view.wait_for_update()
        assert view.submit().closed
    assert count_rows(helpdesk_app.deps.db, BackupUser) == 2


@SQLITE_ONLY
def test_weak_passwords_and_bytes_that_are_not_text_are_refused_saying_why(
    helpdesk_app: RunningApp, slack_emulator: SlackEmulator, figures: Figures
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Globex", email="john.doe@example.com")
    helen.slash("/backup", "activate john.doe@example.com", channel=HELPDESK_CHANNEL)
    helpdesk_app.wait_for_outbox()
    link = activation_link(read_eml(helpdesk_app.eml_files()[0]))
    form = "application/x-www-form-urlencoded"
    for body, says in (
        (b"password=aaaaaaaaaa&confirmation=aaaaaaaaaa", "repeats characters"),
        (b"password=1234567890&confirmation=1234567890", "easy to guess"),
        (b"password=qwertyuiop&confirmation=qwertyuiop", "easy to guess"),
        (b"password=Password123%21&confirmation=Password123%21", "common words"),
        (
            b"password=%ff%fe%fd%fc%fb%fa%f9%f8%f7%f6&confirmation=%ff%fe%fd%fc%fb%fa%f9%f8%f7%f6",
            "must be text",
        ),
        (b"password=abc%00defghijklmn&confirmation=abc%00defghijklmn", "must be text"),
    ):
        answer = httpx.post(link, content=body, headers={"content-type": form}, trust_env=False, timeout=10)
        figures.add("hostile inputs tried")
        assert answer.status_code == 400 and says in answer.text, (body, answer.status_code)
    assert count_rows(helpdesk_app.deps.db, BackupUser, BackupUser.activated_at.is_not(None)) == 0
    strong = b"password=Plum-orbit-Kettle-49&confirmation=Plum-orbit-Kettle-49"
    assert (
        httpx.post(link, content=strong, headers={"content-type": form}, trust_env=False).status_code == 200
    )


@SQLITE_ONLY
def test_nul_in_command_text_gets_an_answer_not_a_database_error(
    helpdesk_app: RunningApp, slack_emulator: SlackEmulator, figures: Figures
) -> None:
    body = slash_body(slack_emulator, HELPDESK_USER, "/backup", "users Glo\x00bex", HELPDESK_CHANNEL)
    answer = send(slack_emulator, "command", body)
    helpdesk_app.wait_for_outbox()
    figures.add("hostile inputs tried")
    assert answer.status == 200  # the ack is the answer the person sees
    assert "control character (U+0000)" in answer.text, answer.text
    assert "Something went wrong" not in answer.text + told(slack_emulator)


@SQLITE_ONLY
def test_a_non_ascii_digit_in_a_select_value_is_a_field_error(
    helpdesk_app: RunningApp, slack_emulator: SlackEmulator, figures: Figures
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_add_user(helen)  # several customers: the Customer select is in the modal
    fill_user(view, "Ada", "Digit", "ada@example.com")
    view.tick("services", [])
    view.wait_for_update()
    values = json.loads(json.dumps(view.view["state"]["values"]))
    block = values["customer"]
    [action] = block.values()
    action["selected_option"] = {"text": {"type": "plain_text", "text": "Globex"}, "value": "\u00b2"}
    tampered = {**view.view, "state": {"values": values}}
    answer = send(slack_emulator, "interactivity", submission(slack_emulator, HELPDESK_USER, tampered))
    figures.add("hostile inputs tried")
    assert answer.status == 200 and "customer" in answer.json().get("errors", {}), answer.text
    assert count_rows(helpdesk_app.deps.db, BackupUser) == 0


@SQLITE_ONLY
def test_json_nested_thousands_deep_is_a_400(
    helpdesk_app: RunningApp, slack_emulator: SlackEmulator, figures: Figures
) -> None:
    deep = b"[" * 2040 + b"]" * 2040
    answer = httpx.post(
        f"{helpdesk_app.url}/api/enrollments",
        content=deep,
        headers={"Authorization": f"Bearer {ENROLLMENT_API_KEY}", "content-type": "application/json"},
        trust_env=False,
    )
    assert answer.status_code == 400 and "nested" in answer.json()["error"]
    nested = b'{"type":"event_callback","event":' * 2040 + b"{}" + b"}" * 2040
    assert slack_emulator.send_raw(SentRequest("event", nested)).status == 400  # signed: not Slack's shape
    figures.add("hostile inputs tried", 2)


@SQLITE_ONLY
def test_public_pages_cannot_be_framed(helpdesk_app: RunningApp) -> None:
    for path in ("/activate/not-a-token", "/enroll/not-a-token"):
        answer = httpx.get(helpdesk_app.url + path, trust_env=False)
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path
        assert answer.headers["x-frame-options"] == "DENY", path


def test_database_errors_keep_their_parameters_out_of_messages_and_logs(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A traceback of a failed statement shows the SQL, not the names and addresses bound to it."""
    db = Database(database_url)
    try:
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS probe_people"))
            connection.execute(text("CREATE TABLE probe_people (email TEXT UNIQUE)"))
            connection.execute(
                text("INSERT INTO probe_people VALUES (:email)"), {"email": "secret.person@example.com"}
            )
        with pytest.raises(IntegrityError) as raised, db.engine.begin() as connection:
            connection.execute(
                text("INSERT INTO probe_people VALUES (:email)"), {"email": "secret.person@example.com"}
            )
        logging.getLogger("probe").error("failed", exc_info=raised.value)
    finally:
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE probe_people"))
        db.dispose()
    assert "parameters hidden" in str(raised.value)
    [record] = [r for r in caplog.records if r.name == "probe"]
    written = RedactingFormatter("%(levelname)s %(name)s: %(message)s").format(
        record
    )  # as deskops serve writes it
    assert "secret.person@example.com" not in written
    assert "INSERT INTO probe_people" in written  # the statement is still there to debug with


def test_the_log_scrubber_knows_every_secret_setting() -> None:
    settings = load_settings(
        _env_file=None,
        secret_key="probe-secret-key-value-0123456789",
        enrollment_api_key="probe-api-key-value",
        slack_signing_secret="probe-signing-secret",
        slack_bot_token="xoxb-probe-bot-token",
    )
    scrubbed = secrets_of(settings)
    for value in ("probe-secret-key-value-0123456789", "probe-api-key-value", "probe-signing-secret"):
        assert value in scrubbed


@SQLITE_ONLY
def test_the_text_fallback_of_a_private_reply_is_escaped_like_its_blocks(
    helpdesk_app: RunningApp, slack_emulator: SlackEmulator, figures: Figures
) -> None:
    """A refusal quotes what was typed: `<!channel>` in it must not become a mention in the
    notification text any more than in the blocks."""
    for command in ("/backup", "/enroll"):
        body = slash_body(slack_emulator, HELPDESK_USER, command, "<!channel>", HELPDESK_CHANNEL)
        answer = send(slack_emulator, "command", body)
        assert answer.status == 200
        fallback = json.loads(answer.text)["text"]
        assert "<!channel>" not in fallback and "&lt;!channel&gt;" in fallback, fallback
    figures.add("hostile inputs tried")
