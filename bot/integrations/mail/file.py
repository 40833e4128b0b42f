"""The embedded mailer: every message becomes an .eml file in a folder (no server needed)."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from pathlib import Path

from bot.integrations.mail.message import build_mime, to_bytes
from bot.integrations.mail.port import MailError, OutgoingEmail

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")
_MAX_STEM = 120


def eml_file_name(message_id: str) -> str:
    """A file name derived only from the message id, so a re-delivery overwrites its file.

    Ids that are not already safe file names get a hash suffix, so two ids that differ only
    in unsafe characters (`a/b`, `a:b`) never share a file.
    """
    bare = message_id.strip().removeprefix("<").removesuffix(">")
    safe = _UNSAFE.sub("_", bare).lstrip(".")[:_MAX_STEM]
    if not safe or safe != bare:
        digest = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:16]
        safe = f"{safe}-{digest}" if safe else digest
    return f"{safe}.eml"


class FileMailer:
    """Writes RFC 5322 .eml files into `folder` (created when missing).

    Each file is written to a temporary name and renamed into place, so a reader (or a crash)
    never sees half a message.
    """

    def __init__(self, folder: Path, mail_from: str) -> None:
        self.folder = Path(folder)
        self.mail_from = mail_from

    def path_for(self, message_id: str) -> Path:
        return self.folder / eml_file_name(message_id)

    def send(self, email: OutgoingEmail) -> None:
        try:
            data = to_bytes(build_mime(email, self.mail_from))
        except ValueError as exc:
            raise MailError(f"the e-mail to {email.to!r} cannot be built: {exc}", permanent=True) from None
        target = self.path_for(email.message_id)
        try:
            self._write_atomically(target, data)
        except OSError as exc:
            raise MailError(self._folder_problem(exc)) from None
        log.info("mail to %s written to %s", email.to, target)

    def check(self) -> str:
        try:
            probe = self._write_atomically(self.folder / ".deskops-write-check", b"")
            probe.unlink()
        except OSError as exc:
            raise MailError(self._folder_problem(exc)) from None
        return f"file: writing .eml files to {self.folder.resolve()}"

    def close(self) -> None:
        """Nothing to release: every message is written and closed by send."""

    def _write_atomically(self, target: Path, data: bytes) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    def _folder_problem(self, exc: OSError) -> str:
        reason = exc.strerror or str(exc)
        return (
            f"the mail folder {self.folder} cannot be written ({reason}): "
            "check SMTP_URL and the folder's permissions"
        )
