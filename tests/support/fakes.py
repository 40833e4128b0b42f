"""In-memory fakes of the ports, for service tests (no patching)."""

from __future__ import annotations

import threading

from bot.integrations.mail.port import MailError, OutgoingEmail


class RecordingMailer:
    """Keeps what it is asked to send; can be told to fail like a real server would."""

    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []
        self.failure: MailError | None = None
        self._lock = threading.Lock()

    def send(self, email: OutgoingEmail) -> None:
        if self.failure is not None:
            raise self.failure
        with self._lock:
            self.sent.append(email)

    def check(self) -> str:
        return "recording mailer"

    def close(self) -> None:
        return None
