"""HTTP client for the Acronis Account Management API v2 (`<ACRONIS_URL>/api/2`).

What it does for every call, so the platform code above it only states what it wants:

- bearer token from the client credentials, cached, refreshed once when a call answers 401;
- timeouts on every call;
- 429 Too Many Requests: waits for `Retry-After` and tries again (a 429 was not processed, so
  this is safe for any method);
- 5xx, timeouts and dropped connections: tried again with exponential backoff (tenacity) for
  idempotent calls (GET, PUT) only. A POST that may have reached the platform is never repeated
  here: it raises `OutcomeUnknown` and the caller reconciles (looks the object up) first;
- other answers become `AcronisError` (a `PlatformError`) whose text a helpdesk person can read.
  Neither the client secret nor a token ever appears in an error text or a log line.

Error bodies follow the documented shape `{"error": {"code", "message", "details", "domain"}}`
(developer guide, "Status and error codes"); the token endpoint answers OAuth2 errors as
`{"error": "invalid_client", "error_description": …}`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from bot.integrations.backup.acronis.answers import error_code, error_detail, retry_after_seconds
from bot.integrations.backup.acronis.auth import AccessToken, TokenCache, parse_token_response
from bot.integrations.backup.port import PlatformError

log = logging.getLogger(__name__)

T = TypeVar("T")
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
# Items asked for per page of a list answer (the platform may answer fewer, then says `after`).
PAGE_LIMIT = 100
PLATFORM_NAME = "Acronis"


class AcronisError(PlatformError):
    """Acronis refused or failed a call. `status` is the HTTP status (None: no answer)."""

    def __init__(
        self, message: str, *, status: int | None = None, code: str | None = None, transient: bool = True
    ) -> None:
        super().__init__(message, transient=transient)
        self.status = status
        self.code = code


class OutcomeUnknown(AcronisError):
    """A write (POST) got no clear answer: it may or may not have happened on the platform."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # tries of one call, the first included
    backoff_base: float = 0.5  # seconds before the second try; doubles after that, with jitter
    backoff_max: float = 8.0
    max_retry_after: float = 30.0  # a longer Retry-After is left to the outbox's own retry


class _TryAgain(Exception):
    """One try failed in a way that is safe to repeat; `error` is raised if we give up."""

    def __init__(self, error: AcronisError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class AcronisClient:
    def __init__(
        self,
        url: str,
        *,
        client_id: str,
        client_secret: str,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url.rstrip("/")
        self.base_url = f"{self.url}/api/2"
        self.host = urlsplit(self.url).netloc or self.url
        self.client_id = client_id
        self._client_secret = client_secret
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._tokens = TokenCache(clock=clock)
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
            headers={"User-Agent": "deskops (Acronis Account Management API v2)"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    # --- calls ----------------------------------------------------------------------------

    def get(self, path: str, *, what: str, params: Mapping[str, str] | None = None) -> Any:
        return self._json(self.request("GET", path, what=what, params=params), what)

    def get_all(self, path: str, *, what: str, params: Mapping[str, str] | None = None) -> list[Any]:
        """Every item of a list endpoint, page after page.

        Developer guide, "Pagination": an answer holds at most `limit` items and, when more follow,
        `paging.cursors.after`; the next page is asked for with `after` and `limit`. The cursor
        encodes the query (Go sample connector, `UserGetRequest.After`), so it is sent alone.
        """
        query = {**(params or {}), "limit": str(PAGE_LIMIT)}
        found: list[Any] = []
        seen: set[str] = set()
        while True:
            body = self.get(path, what=what, params=query)
            if not isinstance(body, dict):
                return found
            items = body.get("items")
            found.extend(items if isinstance(items, list) else [])
            paging = body.get("paging")
            cursors = paging.get("cursors") if isinstance(paging, dict) else None
            after = cursors.get("after") if isinstance(cursors, dict) else None
            if not isinstance(after, str) or not after or after in seen:
                return found
            seen.add(after)
            query = {"after": after, "limit": str(PAGE_LIMIT)}

    def put(self, path: str, body: Any, *, what: str) -> Any:
        return self._json(self.request("PUT", path, what=what, json=body), what)

    def post(self, path: str, body: Any, *, what: str) -> Any:
        return self._json(self.request("POST", path, what=what, json=body), what)

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        accept: Collection[int] = (),
    ) -> httpx.Response:
        """Send one call with the retry rules above; answers below 400 or in `accept` are returned."""
        method = method.upper()
        idempotent = method in IDEMPOTENT_METHODS

        def attempt() -> httpx.Response:
            return self._authorized(
                method, path, what=what, params=params, json=json, accept=accept, idempotent=idempotent
            )

        return self._with_retries(attempt)

    # --- tokens ---------------------------------------------------------------------------

    def _issue_token(self) -> AccessToken:
        def attempt() -> AccessToken:
            response = self._send(
                "POST",
                "/idp/token",
                what="signing in with the API client",
                idempotent=True,  # issuing a token changes nothing; repeating it is harmless
                data={"grant_type": "client_credentials"},
                auth=(self.client_id, self._client_secret),
            )
            if response.status_code in (400, 401, 403):
                raise AcronisError(
                    f"{PLATFORM_NAME} refused the API client ({error_detail(response)}): check "
                    "ACRONIS_CLIENT_ID and ACRONIS_CLIENT_SECRET against the API client under "
                    "Settings → API clients in the management portal, and ACRONIS_URL against its data center",
                    status=response.status_code,
                    code=error_code(response),
                    transient=False,
                )
            self._raise_for(response, what="signing in with the API client", idempotent=True)
            try:
                return parse_token_response(response.json(), now=self._clock())
            except ValueError:
                raise AcronisError(
                    f"{PLATFORM_NAME} answered the sign-in of the API client without an access token",
                    status=response.status_code,
                ) from None

        return self._with_retries(attempt)

    def _authorized(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str] | None,
        json: Any,
        accept: Collection[int],
        idempotent: bool,
    ) -> httpx.Response:
        token = self._tokens.get(self._issue_token)
        response = self._send(
            method, path, what=what, idempotent=idempotent, params=params, json=json, token=token
        )
        if response.status_code == 401:
            # Expired or revoked: drop the token and try once more with a fresh one.
            log.info("%s %s answered 401; issuing a new access token", method, path)
            self._tokens.invalidate(token)
            token = self._tokens.get(self._issue_token)
            response = self._send(
                method, path, what=what, idempotent=idempotent, params=params, json=json, token=token
            )
            if response.status_code == 401:
                self._tokens.invalidate(token)
                raise AcronisError(
                    f"{PLATFORM_NAME} refused a fresh access token when {what} ({error_detail(response)}); "
                    "check that the API client is enabled in the management portal",
                    status=401,
                    code=error_code(response),
                    transient=False,
                )
        if response.status_code in accept:
            return response
        self._raise_for(response, what=what, idempotent=idempotent)
        return response

    # --- one HTTP exchange ----------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        idempotent: bool,
        token: AccessToken | None = None,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> httpx.Response:
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token.value}"
        try:
            return self._http.request(
                method,
                f"{self.base_url}{path}",
                params=params,
                json=json,
                data=data,
                auth=auth,
                headers=headers,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            # Nothing reached the platform: safe to repeat whatever the method.
            raise _TryAgain(
                AcronisError(
                    f"{PLATFORM_NAME} at {self.host} could not be reached when {what} ({type(error).__name__})",
                )
            ) from None
        except httpx.TimeoutException as error:
            failure = f"{PLATFORM_NAME} did not answer in time when {what} ({type(error).__name__})"
            if idempotent:
                raise _TryAgain(AcronisError(failure)) from None
            raise OutcomeUnknown(f"{failure}; it may or may not have happened") from None
        except httpx.TransportError as error:
            failure = f"the connection to {PLATFORM_NAME} broke when {what} ({type(error).__name__})"
            if idempotent:
                raise _TryAgain(AcronisError(failure)) from None
            raise OutcomeUnknown(f"{failure}; it may or may not have happened") from None

    def _raise_for(self, response: httpx.Response, *, what: str, idempotent: bool) -> None:
        status = response.status_code
        if status < 400:
            return
        detail = error_detail(response)
        code = error_code(response)
        if status == 429:
            wait = retry_after_seconds(response, now=self._clock())
            error = AcronisError(
                f"{PLATFORM_NAME} asked deskops to slow down when {what} (HTTP 429)", status=status, code=code
            )
            if wait is not None and wait > self.retry.max_retry_after:
                raise AcronisError(
                    f"{PLATFORM_NAME} asked deskops to wait {wait:.0f} s when {what} (HTTP 429)",
                    status=status,
                    code=code,
                )
            raise _TryAgain(error, retry_after=wait)
        if status >= 500:
            failure = f"{PLATFORM_NAME} failed when {what} (HTTP {status}: {detail})"
            if idempotent:
                raise _TryAgain(AcronisError(failure, status=status, code=code))
            raise OutcomeUnknown(f"{failure}; it may or may not have happened", status=status, code=code)
        raise AcronisError(
            f"{PLATFORM_NAME} refused {what} (HTTP {status}: {detail})",
            status=status,
            code=code,
            transient=False,
        )

    # --- retries --------------------------------------------------------------------------

    def _with_retries(self, attempt: Callable[[], T]) -> T:
        retrying = Retrying(
            stop=stop_after_attempt(max(self.retry.attempts, 1)),
            wait=self._wait,
            retry=retry_if_exception_type(_TryAgain),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except _TryAgain as gave_up:
            raise gave_up.error from None

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, _TryAgain) and error.retry_after is not None:
            return error.retry_after
        step: float = self.retry.backoff_base * 2.0 ** max(state.attempt_number - 1, 0)
        return min(step, self.retry.backoff_max) * random.uniform(0.5, 1.0)

    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning("%s; trying again in %.2f s (try %d)", error, wait, state.attempt_number + 1)

    @staticmethod
    def _json(response: httpx.Response, what: str) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise AcronisError(
                f"{PLATFORM_NAME} sent an answer deskops cannot read when {what} (HTTP {response.status_code})",
                status=response.status_code,
            ) from None
