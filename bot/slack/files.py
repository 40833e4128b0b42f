"""Files on Slack: reading one a person picked in a file input, and uploading one to a channel.

Reading follows Slack's "Working with files": files.info gives the file object, whose
`url_private_download` is fetched with the bot token in `Authorization: Bearer` (the app needs the
files:read scope). Uploading is the external flow (files.getUploadURLExternal, a POST of the bytes
to the upload URL, files.completeUploadExternal with the channel), as slack_sdk's files_upload_v2
does it.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import DomainError


class FileUnreadable(DomainError):
    """The picked file could not be fetched from Slack (the text says why)."""


@dataclass(frozen=True)
class SlackFile:
    name: str
    data: bytes


def _may_carry_token(url: str, api_base: str) -> bool:
    """The bot token goes only to Slack's own hosts (or the API's host, as the offline console and
    tests serve both), never to a URL elsewhere."""
    target, api = urlsplit(url), urlsplit(api_base)
    if target.scheme not in ("http", "https"):
        return False
    if target.hostname and target.hostname == api.hostname and target.port == api.port:
        return True
    return target.scheme == "https" and bool(target.hostname) and str(target.hostname).endswith(".slack.com")


def read_file(client: WebClient, file_id: str, *, max_bytes: int, timeout: float = 20.0) -> SlackFile:
    try:
        info = client.files_info(file=file_id)["file"]
    except SlackApiError as error:
        raise FileUnreadable(
            f"Slack did not give the file ({error.response.get('error')}); choose it again."
        ) from None
    name = str(info.get("name") or "file")
    if int(info.get("size") or 0) > max_bytes:
        raise FileUnreadable(f"{name} is larger than {max_bytes // 1024 // 1024} MB: split it.")
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    if not url or not _may_carry_token(url, client.base_url):
        raise FileUnreadable(f"Slack gave no download address for {name}; choose it again.")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only, checked above)
            data = response.read(max_bytes + 1)
    except (urllib.error.URLError, TimeoutError) as error:
        raise FileUnreadable(f"Could not download {name} from Slack ({error}); try again.") from None
    if len(data) > max_bytes:
        raise FileUnreadable(f"{name} is larger than {max_bytes // 1024 // 1024} MB: split it.")
    return SlackFile(name=name, data=data)


def upload_file(client: WebClient, *, channel: str, name: str, data: bytes, title: str, comment: str) -> str:
    """Share `data` as a file in `channel` with a comment; the file's id."""
    response = client.files_upload_v2(
        channel=channel, filename=name, content=data, title=title, initial_comment=comment
    )
    file = response.get("file") or {}
    return str(file.get("id", ""))
