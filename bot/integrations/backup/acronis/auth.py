"""OAuth2 client credentials for the Acronis Account Management API.

`POST /api/2/idp/token` with HTTP Basic `client_id:client_secret` and the form
`grant_type=client_credentials` issues a bearer token (Acronis developer guide, "Authenticating
to the platform"; acronis-cyber-platform-python-examples `authorization/issue_access_token.py`).
The documented answer is `{"access_token", "token_type": "bearer", "expires_on": <unix time>,
"id_token"}`; tokens live two hours ("Authentication": "the token expiration time is set to
two hours"). We also accept the plain OAuth2 `expires_in`.

The token is cached until shortly before it expires; a 401 drops it (see `TokenCache.invalidate`)
so the next request issues a new one exactly once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Refresh this long before the platform's expiry, so a token never dies mid-request.
REFRESH_MARGIN_SECONDS = 300.0
# When the platform says nothing about the lifetime, assume a short one rather than two hours.
DEFAULT_LIFETIME_SECONDS = 600.0


@dataclass(frozen=True)
class AccessToken:
    value: str = field(repr=False)
    issued_at: float  # seconds since the epoch
    expires_at: float

    def usable(self, now: float, margin: float) -> bool:
        """Not within `margin` of its expiry (a tenth of its lifetime for short-lived tokens)."""
        margin = min(margin, (self.expires_at - self.issued_at) / 10)
        return self.expires_at - now > margin


def parse_token_response(body: Any, *, now: float) -> AccessToken:
    """The token from an `/idp/token` answer; ValueError when the answer is not one."""
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("access_token"), str)
        or not body["access_token"]
    ):
        raise ValueError("the token answer has no access_token")
    expires_on = body.get("expires_on")
    expires_in = body.get("expires_in")
    if isinstance(expires_on, int | float) and not isinstance(expires_on, bool):
        expires_at = float(expires_on)
    elif isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
        expires_at = now + float(expires_in)
    else:
        expires_at = now + DEFAULT_LIFETIME_SECONDS
    return AccessToken(value=body["access_token"], issued_at=now, expires_at=expires_at)


class TokenCache:
    """One access token shared by every thread (listeners and outbox workers)."""

    def __init__(
        self, *, margin: float = REFRESH_MARGIN_SECONDS, clock: Callable[[], float] = time.time
    ) -> None:
        self._margin = margin
        self._clock = clock
        self._token: AccessToken | None = None
        self._lock = threading.Lock()

    def get(self, issue: Callable[[], AccessToken]) -> AccessToken:
        """The cached token, or a new one from `issue` when there is none or it is about to expire."""
        with self._lock:
            token = self._token
            if token is not None and token.usable(self._clock(), self._margin):
                return token
            token = issue()
            self._token = token
            return token

    def invalidate(self, token: AccessToken) -> None:
        """Forget `token` after the platform refused it (another thread may have replaced it already)."""
        with self._lock:
            if self._token is token:
                self._token = None
