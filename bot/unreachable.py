"""One-line sentences for a database or Slack Web API that cannot be reached, naming the setting
to check: what `deskops` prints instead of a traceback, and what `deskops doctor` reports."""

from __future__ import annotations

from urllib.error import URLError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__


# What psycopg and sqlite3 say when the database cannot be reached or opened at all, as opposed
# to a statement failing on a database that is there.
_UNREACHABLE = (
    "unable to open database file",
    "connection failed",
    "could not connect",
    "connection refused",
    "could not translate host name",
    "password authentication failed",
    "no password supplied",
    "does not exist",
    "server closed the connection",
    "timeout expired",
)


def is_unreachable(error: DBAPIError) -> bool:
    text = str(getattr(error, "orig", None) or error).lower()
    return error.connection_invalidated or any(phrase in text for phrase in _UNREACHABLE)


def database_unreachable(error: DBAPIError, database_url: str) -> str:
    try:
        url = make_url(database_url)
    except ArgumentError:
        return f"DATABASE_URL cannot be used ({_first_line(error)})"
    if url.get_backend_name() == "sqlite":
        return (
            f"the SQLite database {url.database or '(in memory)'} cannot be opened ({_first_line(error)}): "
            "does its folder exist and may deskops write there? check DATABASE_URL"
        )
    where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
    return (
        f"cannot reach the database at {where} ({_first_line(error)}): is PostgreSQL running there, "
        "and are the user and password right? check DATABASE_URL"
    )


def slack_unreachable(error: URLError | OSError, api_url: str) -> str:
    reason = error.reason if isinstance(error, URLError) else error
    return (
        f"cannot reach the Slack Web API at {api_url} ({reason}): check the network, a proxy, "
        "or SLACK_API_URL"
    )
