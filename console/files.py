"""Files in the emulated workspace: those a person picks in a modal's file input, and those the app
uploads with Slack's external upload flow.

References (each rule below cites the one it follows):
- file object: https://docs.slack.dev/reference/objects/file-object
- downloading a private file: https://docs.slack.dev/messaging/working-with-files ("url_private …
  requires an Authorization header: Authorization: Bearer <token>")
- files.info: https://docs.slack.dev/reference/methods/files.info
- files.getUploadURLExternal: https://docs.slack.dev/reference/methods/files.getUploadURLExternal
- files.completeUploadExternal: https://docs.slack.dev/reference/methods/files.completeUploadExternal
- file input: https://docs.slack.dev/reference/block-kit/block-elements/file-input-element
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console.models import JSON, SlackError
from console.viewstate import random_id

# file_input: "There is a 10MB file size limit" (file input element reference).
FILE_INPUT_MAX_BYTES = 10 * 1024 * 1024
_TYPES = {
    "csv": ("text/csv", "CSV"),
    "txt": ("text/plain", "Plain Text"),
    "json": ("application/json", "JSON"),
}


@dataclass
class StoredFile:
    id: str
    name: str
    title: str
    user: str
    created: datetime
    data: bytes | None
    # files.getUploadURLExternal's `length`: the size the app announced before sending the bytes.
    announced_length: int | None = None
    channels: list[str] = field(default_factory=list)
    completed: bool = True

    @property
    def filetype(self) -> str:
        return self.name.rsplit(".", 1)[-1].lower() if "." in self.name else "text"

    def to_slack(self, base_url: str, team_id: str) -> JSON:
        mimetype, pretty = _TYPES.get(self.filetype, ("application/octet-stream", self.filetype.upper()))
        private = f"{base_url}/files-pri/{team_id}-{self.id}/{self.name}"
        return {
            "id": self.id,
            "created": int(self.created.timestamp()),
            "timestamp": int(self.created.timestamp()),
            "name": self.name,
            "title": self.title,
            "mimetype": mimetype,
            "filetype": self.filetype,
            "pretty_type": pretty,
            "user": self.user,
            "mode": "hosted",
            "editable": False,
            "is_external": False,
            "is_public": bool(self.channels),
            "size": len(self.data or b""),
            "url_private": private,
            "url_private_download": f"{base_url}/files-pri/{team_id}-{self.id}/download/{self.name}",
            "permalink": f"{base_url}/files/{self.user}/{self.id}/{self.name}",
            "channels": list(self.channels),
        }


class FileStore:
    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._tickets: dict[str, str] = {}
        self._lock = threading.Lock()
        # Where the emulator's Web API is served (set when it starts or is mounted).
        self.base_url = ""

    def add(
        self, *, user: str, name: str, data: bytes, now: datetime, title: str | None = None
    ) -> StoredFile:
        """A file a person uploaded (e.g. picked in a file input)."""
        stored = StoredFile(
            id="F" + random_id(10).upper(), name=name, title=title or name, user=user, created=now, data=data
        )
        with self._lock:
            self._files[stored.id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        with self._lock:
            stored = self._files.get(file_id)
        # files.info: `file_not_found` for an id that does not exist; an external upload that was
        # never completed is not a file yet (files.completeUploadExternal: "finishes an upload").
        if stored is None or not stored.completed:
            raise SlackError("file_not_found")
        return stored

    def all(self) -> list[StoredFile]:
        with self._lock:
            return [copy.copy(f) for f in self._files.values() if f.completed]

    # --- external upload ------------------------------------------------------------------

    def start_upload(self, *, user: str, name: str, length: int, now: datetime) -> tuple[StoredFile, str]:
        stored = StoredFile(
            id="F" + random_id(10).upper(),
            name=name,
            title=name,
            user=user,
            created=now,
            data=None,
            announced_length=length,
            completed=False,
        )
        ticket = random_id(24)
        with self._lock:
            self._files[stored.id] = stored
            self._tickets[ticket] = stored.id
        return stored, ticket

    def receive(self, ticket: str, data: bytes) -> StoredFile | None:
        """The bytes POSTed to an upload URL (once per URL)."""
        with self._lock:
            file_id = self._tickets.pop(ticket, None)
            stored = self._files.get(file_id) if file_id else None
            if stored is not None:
                stored.data = data
            return stored

    def complete(self, file_id: str, *, title: str | None, channel: str | None) -> StoredFile:
        with self._lock:
            stored = self._files.get(file_id)
            if stored is None or stored.completed or stored.data is None:
                raise SlackError("file_not_found")
            stored.completed = True
            if title:
                stored.title = title
            if channel:
                stored.channels.append(channel)
            return stored


def file_entry(files: list[JSON]) -> dict[str, Any]:
    """A file input's state in view_submission: `{"type": "file_input", "files": [file, …]}`, each
    a file object (bolt-js added `files` to view.state.values for it: slackapi/bolt-js#1995)."""
    return {"type": "file_input", "files": files}
