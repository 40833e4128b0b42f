"""/backup export end to end over the Slack emulator, on both providers: the customer's users as a
CSV (the import's columns, state and dates) shared in the channel through Slack's external upload
flow; a customer outside the person's scope is refused; the file imports again."""

from __future__ import annotations

import csv
import io

from bot.accounts.imports import COLUMNS, EXPORT_COLUMNS, CustomerRules, check_rows, read_rows
from console import SlackEmulator
from tests.e2e.backup_flows import add_user_with_backup, add_user_without_backup
from tests.support.app import RunningApp
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER


def exported(emu: SlackEmulator) -> tuple[str, bytes]:
    message = emu.channel(HELPDESK_CHANNEL).wait_for_message(lambda m: "files" in m.extra)
    [shared] = message.extra["files"]
    stored = emu.workspace.files.get(shared["id"])
    assert stored.data is not None
    return message.text, stored.data


def test_export_shares_the_customers_users_as_csv_through_the_external_upload(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Acme", email="zoe@acme.example", subscription="PAYG", notifications="errors")
    add_user_without_backup(helen, "Acme", first="=cmd", last="Doe", email="doe@acme.example")
    add_user_without_backup(helen, "Globex", email="other@globex.example")
    deskops.wait_for_outbox()
    helen.slash("/backup", "export Acme", channel=HELPDESK_CHANNEL)
    comment, data = exported(slack_emulator)
    assert "Acme Corporation: 2 users" in comment
    # The upload: a URL for exactly these bytes, the bytes, then completion in the channel.
    [url] = slack_emulator.calls("files.getUploadURLExternal")
    assert int(url.args["length"]) == len(data) and str(url.args["filename"]).startswith(
        "acme-corporation-users-"
    )
    [done] = slack_emulator.calls("files.completeUploadExternal")
    assert done.ok and done.args["channel_id"] == HELPDESK_CHANNEL
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [*COLUMNS, *EXPORT_COLUMNS]
    by_email = {row[2]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_email) == {"zoe@acme.example", "doe@acme.example"}
    zoe = by_email["zoe@acme.example"]
    assert (zoe["role"], zoe["subscription"], zoe["notifications"], zoe["state"]) == (
        "User",
        "PAYG",
        "Errors only",
        "Pending activation",
    )
    assert zoe["created_at"].endswith("Z") and zoe["activated_at"] == ""
    assert by_email["doe@acme.example"]["first_name"] == "'=cmd"  # not run as a formula by a spreadsheet
    # The file reads back as an import (its state and dates ignored).
    rules = CustomerRules(
        customer_id=2,
        customer_name="Globex",
        subscriptions={"PAYG": 9},
        existing_emails=frozenset(),
        phone_region="US",
    )
    again = check_rows(read_rows(data), rules)
    assert [r.new_user.email for r in again.rows] == ["doe@acme.example", "zoe@acme.example"]
