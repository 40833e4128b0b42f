"""The files.* Web API methods, and the two plain HTTP endpoints of files: the private download
and the external upload URL (references in console/files.py)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from console.methods import Args
from console.models import JSON, SlackError
from console.workspace import Workspace


def files_info(ws: Workspace, args: Args) -> JSON:
    # files.info: `file` (the id) is required; answers the file object.
    stored = ws.files.get(args.required("file"))
    return {
        "file": stored.to_slack(ws.files.base_url, ws.identity.team_id),
        "comments": [],
        "response_metadata": {"next_cursor": ""},
    }


def files_get_upload_url_external(ws: Workspace, args: Args) -> JSON:
    # files.getUploadURLExternal: `filename` and `length` (size in bytes) are required; a length of
    # 0 or none is `missing_argument` ("Typically only occurs when the length provided is 0").
    filename = args.text("filename")
    length_text = args.text("length")
    if filename is None or length_text is None or not length_text.isdigit() or int(length_text) == 0:
        raise SlackError("missing_argument")
    stored, ticket = ws.files.start_upload(
        user=ws.identity.bot_user_id, name=filename, length=int(length_text), now=ws.now()
    )
    return {"upload_url": f"{ws.files.base_url}/upload/v1/{ticket}", "file_id": stored.id}


def files_complete_upload_external(ws: Workspace, args: Args) -> JSON:
    # files.completeUploadExternal: `files` (required) is a JSON array of {"id", "title"?};
    # `channel_id` shares the files there ("If not specified the file will be private").
    files = _file_list(args.values.get("files"))
    channel_id = args.text("channel_id")
    if channel_id is not None:
        channel = ws.channel(channel_id)
        if not channel.is_im and not channel.bot_is_member:
            raise SlackError("not_in_channel")
    done = []
    for item in files:
        stored = ws.files.complete(str(item["id"]), title=item.get("title"), channel=channel_id)
        if stored.announced_length != len(stored.data or b""):
            ws.add_problem(
                f"files.completeUploadExternal: {stored.name} was announced as {stored.announced_length} "
                f"bytes (files.getUploadURLExternal length) but {len(stored.data or b'')} were uploaded"
            )
        done.append(stored.to_slack(ws.files.base_url, ws.identity.team_id))
    if channel_id is not None:
        ws.post_message(
            channel_id,
            text=args.text("initial_comment") or "",
            blocks=None,
            attachments=None,
            thread_ts=args.text("thread_ts"),
            extra={"files": done},
        )
    return {"files": [{"id": f["id"], "title": f["title"]} for f in done]}


def _file_list(raw: Any) -> list[JSON]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise SlackError("invalid_arguments", ["[ERROR] files is not valid JSON"]) from None
    if not isinstance(raw, list) or not raw or not all(isinstance(f, dict) and f.get("id") for f in raw):
        raise SlackError("invalid_arguments", ["[ERROR] files must be an array of objects with an id"])
    return raw


FILE_METHODS = {
    "files.info": files_info,
    "files.getUploadURLExternal": files_get_upload_url_external,
    "files.completeUploadExternal": files_complete_upload_external,
}


async def download(ws: Workspace, bot_token: str, request: Request) -> Response:
    """GET url_private(_download). Slack serves a private file only to a request carrying a token
    in `Authorization: Bearer` (working-with-files); without one it answers its sign-in page, so
    a bot that forgets the header gets HTML instead of its file: here a 403 and a problem."""
    header = request.headers.get("authorization", "")
    if header != f"Bearer {bot_token}":
        ws.add_problem(f"GET {request.url.path}: a private file was fetched without the bot token")
        return PlainTextResponse("sign in to download this file", status_code=403)
    file_id = str(request.path_params["team_file"]).split("-", 1)[-1]
    try:
        stored = ws.files.get(file_id)
    except SlackError:
        return PlainTextResponse("file not found", status_code=404)
    return Response(stored.data or b"", media_type="application/octet-stream")


async def upload(ws: Workspace, request: Request) -> Response:
    """POST to an upload_url: "Files can be sent as raw bytes or can be multipart form encoded.
    Slack will return HTTP 200 if the upload is successful" (files.getUploadURLExternal)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        part = next((v for v in form.values() if not isinstance(v, str)), None)
        data = await part.read() if part is not None else b""
    else:
        data = await request.body()
    stored = ws.files.receive(str(request.path_params["ticket"]), data)
    if stored is None:
        return PlainTextResponse("upload URL unknown or used", status_code=404)
    return PlainTextResponse(f"OK - {len(data)}")
