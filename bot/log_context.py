"""What a log line says about the request it was written for: the request id, the Slack user and
team, and the error reference a person was shown. Context variables, so they follow a request from
the HTTP edge into Bolt's listener threads (bot.app.TimedExecutor copies them) without being passed."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
SLACK_USER: ContextVar[str | None] = ContextVar("slack_user", default=None)
SLACK_TEAM: ContextVar[str | None] = ContextVar("slack_team", default=None)
# A request id handed in by a proxy (X-Request-ID) is kept only when it looks like one.
_FOREIGN_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Slack ids (U…, W…, T…, E…): anything else in a payload is not logged as an id.
_SLACK_ID = re.compile(r"^[A-Z][A-Z0-9]{2,31}$")


def new_request_id(offered: str | None = None) -> str:
    if offered and _FOREIGN_ID.match(offered):
        return offered
    return uuid.uuid4().hex[:16]


def slack_id(value: object) -> str | None:
    return value if isinstance(value, str) and _SLACK_ID.match(value) else None


@contextmanager
def request_context(request_id: str) -> Iterator[None]:
    token = REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


@contextmanager
def slack_context(user: object, team: object) -> Iterator[None]:
    user_token, team_token = SLACK_USER.set(slack_id(user)), SLACK_TEAM.set(slack_id(team))
    try:
        yield
    finally:
        SLACK_USER.reset(user_token)
        SLACK_TEAM.reset(team_token)


def current() -> dict[str, str | None]:
    return {"request_id": REQUEST_ID.get(), "slack_user": SLACK_USER.get(), "slack_team": SLACK_TEAM.get()}
