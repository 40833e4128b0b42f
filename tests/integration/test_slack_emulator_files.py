"""The emulator's files as Slack documents them (references in console/files.py): files.info, the
private download that needs the bot token, and the external upload (a URL for an announced length,
the bytes, the completion that shares the file in a channel)."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from console import SlackEmulator
from tests.support import slack
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER, seed_helpdesk

slack_emulator = slack.slack_emulator  # the fixture, by its name


def client(emu: SlackEmulator) -> WebClient:
    return WebClient(token=emu.bot_token, base_url=emu.api_url)


def test_a_picked_file_is_described_by_files_info_and_downloads_only_with_the_bot_token(
    slack_emulator: SlackEmulator,
) -> None:
    stored = slack_emulator.workspace.files.add(
        user=HELPDESK_USER, name="staff.csv", data=b"a,b\r\n", now=slack_emulator.workspace.now()
    )
    info = client(slack_emulator).files_info(file=stored.id)["file"]
    assert (info["id"], info["name"], info["filetype"], info["size"]) == (stored.id, "staff.csv", "csv", 5)
    url = info["url_private_download"]
    assert (
        httpx.get(url, headers={"Authorization": f"Bearer {slack_emulator.bot_token}"}).content == b"a,b\r\n"
    )
    refused = httpx.get(url)
    assert refused.status_code == 403
    assert slack_emulator.take_problems() == [
        f"GET {httpx.URL(url).path}: a private file was fetched without the bot token"
    ]
    with pytest.raises(SlackApiError, match="file_not_found"):
        client(slack_emulator).files_info(file="F0NOSUCHFILE")


def test_the_external_upload_shares_the_file_in_the_channel(slack_emulator: SlackEmulator) -> None:
    seed_helpdesk(slack_emulator)
    web = client(slack_emulator)
    done = web.files_upload_v2(
        channel=HELPDESK_CHANNEL,
        filename="users.csv",
        content=b"x,y\r\n",
        title="users.csv",
        initial_comment="Here",
    )
    [message] = slack_emulator.channel(HELPDESK_CHANNEL).messages()
    assert message.text == "Here" and message.extra["files"][0]["id"] == done["file"]["id"]
    assert slack_emulator.workspace.files.get(done["file"]["id"]).data == b"x,y\r\n"
    # files.getUploadURLExternal needs a length (0 is missing_argument); an upload URL takes bytes once;
    # a file whose bytes never came cannot be completed.
    with pytest.raises(SlackApiError, match="missing_argument"):
        web.files_getUploadURLExternal(filename="empty.csv", length=0)
    ticket = web.files_getUploadURLExternal(filename="late.csv", length=3)
    with pytest.raises(SlackApiError, match="file_not_found"):
        web.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id=HELPDESK_CHANNEL)
    assert httpx.post(ticket["upload_url"], content=b"abcd").status_code == 200
    assert httpx.post(ticket["upload_url"], content=b"abcd").status_code == 404
    web.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id=HELPDESK_CHANNEL)
    assert slack_emulator.take_problems() == [
        "files.completeUploadExternal: late.csv was announced as 3 bytes (files.getUploadURLExternal length) "
        "but 4 were uploaded"
    ]
