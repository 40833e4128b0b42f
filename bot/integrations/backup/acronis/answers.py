"""Reading what the platform answered: its own words about an error, its error code, how long it
asks us to wait.

Error bodies follow the documented shape `{"error": {"code", "message", "details", "domain"}}`
(developer guide, "Status and error codes"); the token endpoint answers OAuth2 errors as
`{"error": "invalid_client", "error_description": …}`.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any

import httpx


def error_detail(response: httpx.Response) -> str:
    """The platform's own words about an error, short, or the HTTP reason phrase."""
    try:
        body = response.json()
    except ValueError:
        body = None
    detail: Any = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            detail = error.get("message") or error.get("code")
        elif isinstance(error, str):
            detail = body.get("error_description") or error
        detail = detail or body.get("message")
    text = str(detail) if detail else (response.reason_phrase or "no details")
    return " ".join(text.split())[:300]


def error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("code") is not None:
            return str(error["code"])
        if isinstance(error, str):
            return error
    return None


def retry_after_seconds(response: httpx.Response, *, now: float) -> float | None:
    """`Retry-After` as seconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - now, 0.0)
