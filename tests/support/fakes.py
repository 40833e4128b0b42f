"""In-memory fakes of the ports, for service tests (no patching)."""

from __future__ import annotations

import threading
from typing import Any

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


class FakeUsergroups:
    """The one Web API call SlackPrincipals makes, `usergroups.users.list`, answered from a dict."""

    def __init__(self, members: dict[str, list[str]]) -> None:
        self.members = members
        self.calls: list[str] = []

    def usergroups_users_list(self, *, usergroup: str) -> dict[str, object]:
        self.calls.append(usergroup)
        return {"ok": True, "users": self.members.get(usergroup, [])}

    def client(self) -> Any:
        return self
