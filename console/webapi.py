"""The Web API over HTTP: `POST|GET /api/<method>` and the response_url endpoint `POST /response/<id>`.

Takes requests exactly as slack_sdk sends them (JSON, form-encoded or multipart bodies, query
strings; the token as `Authorization: Bearer` or a `token` argument) and answers like Slack:
HTTP 200 with `{"ok": true, …}` or `{"ok": false, "error": …}`. Every call is recorded. Faults
(429 with Retry-After, 5xx, any `ok: false`) can be queued per method with `fail_next`.

With an app-level token (`socket_mode`), `apps.connections.open` takes only that token and
answers the URL of the Socket Mode WebSocket, which this app serves too (see `socketmode`); the
app-level token opens connections and nothing else (`not_allowed_token_type` elsewhere).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from console.file_methods import FILE_METHODS, download, upload
from console.methods import METHODS, Args
from console.models import JSON, SlackError
from console.socketmode import SocketMode
from console.workspace import Workspace

_JSON_ARGS = ("blocks", "attachments", "view")
CONNECTIONS_OPEN = "apps.connections.open"


@dataclass(frozen=True)
class ApiCall:
    """One Web API call as the emulator saw it (`args` without the token, JSON arguments decoded)."""

    method: str
    args: JSON
    http_status: int
    response: JSON
    at: datetime

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        error = self.response.get("error")
        return str(error) if error is not None else None


@dataclass
class _Fault:
    http_status: int
    error: str | None
    retry_after: int | None
    times: int


class WebApi:
    def __init__(
        self, workspace: Workspace, *, bot_token: str, socket_mode: SocketMode | None = None
    ) -> None:
        self.workspace = workspace
        self.bot_token = bot_token
        self.socket_mode = socket_mode
        self._calls: list[ApiCall] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["GET", "POST"]),
                Route("/response/{target_id}", self._response_url, methods=["POST"]),
                Route("/files-pri/{team_file}/{rest:path}", self._download, methods=["GET"]),
                Route("/upload/v1/{ticket}", self._upload, methods=["POST"]),
                *(socket_mode.routes if socket_mode is not None else []),
            ]
        )

    # --- test controls --------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        http_status: int | None = None,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` fail: with `http_status` (429 gets a Retry-After
        header, 1 s unless `retry_after` says otherwise) and/or an `ok: false` `error`."""
        if http_status is None and error is None:
            raise ValueError("fail_next needs http_status and/or error")
        status = http_status or 200
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._faults.setdefault(method, deque()).append(_Fault(status, error, retry_after, times))

    def calls(self, method: str | None = None) -> list[ApiCall]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    # --- HTTP -----------------------------------------------------------------------------

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        try:
            args = await _read_args(request)
        except SlackError as error:
            return self._answer(method, {}, 200, _error_body(error))
        token = _bearer(request.headers.get("authorization")) or args.get("token")
        args.pop("token", None)
        recorded = _decoded(args)
        if not token:
            return self._answer(method, recorded, 200, {"ok": False, "error": "not_authed"})
        refused = self._token_refused(method, token)
        if refused is not None:
            return self._answer(method, recorded, 200, {"ok": False, "error": refused})
        fault = self._take_fault(method)
        if fault is not None:
            return self._fault_answer(method, recorded, fault)
        if method == CONNECTIONS_OPEN and self.socket_mode is not None:
            return self._answer(
                method, recorded, 200, {"ok": True, "url": self.socket_mode.open_url(request)}
            )
        handler = METHODS.get(method) or FILE_METHODS.get(method)
        if handler is None:
            self.workspace.add_problem(
                f"{method}: the bot called a Web API method the emulator does not know"
            )
            return self._answer(method, recorded, 200, {"ok": False, "error": "unknown_method"})
        try:
            body: JSON = {"ok": True, **handler(self.workspace, Args(args))}
        except SlackError as error:
            body = _error_body(error)
        return self._answer(method, recorded, 200, body)

    def _token_refused(self, method: str, token: str) -> str | None:
        """Slack's error for a token that may not call `method`, or None."""
        app_token = self.socket_mode.app_token if self.socket_mode is not None else None
        if method == CONNECTIONS_OPEN:
            if token == self.bot_token:
                return "not_allowed_token_type"
            return None if token == app_token else "invalid_auth"
        if token == app_token:
            return "not_allowed_token_type"
        return None if token == self.bot_token else "invalid_auth"

    async def _download(self, request: Request) -> Response:
        return await download(self.workspace, self.bot_token, request)

    async def _upload(self, request: Request) -> Response:
        return await upload(self.workspace, request)

    async def _response_url(self, request: Request) -> Response:
        target_id = request.path_params["target_id"]
        raw = await request.body()
        try:
            if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                form = await request.form()
                payload = json.loads(str(form.get("payload", "{}")))
            else:
                payload = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self.workspace.add_problem("response_url: the body is not JSON")
            return PlainTextResponse("invalid_payload", status_code=400)
        if not isinstance(payload, dict):
            self.workspace.add_problem("response_url: the body is not a JSON object")
            return PlainTextResponse("invalid_payload", status_code=400)
        status, text = self.workspace.respond(target_id, _decoded(payload))
        return PlainTextResponse(text, status_code=status)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.popleft()
            return fault

    def _fault_answer(self, method: str, args: JSON, fault: _Fault) -> Response:
        error = fault.error
        if error is None:
            error = "ratelimited" if fault.http_status == 429 else "fatal_error"
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        return self._answer(method, args, fault.http_status, {"ok": False, "error": error}, headers)

    def _answer(
        self, method: str, args: JSON, status: int, body: JSON, headers: dict[str, str] | None = None
    ) -> Response:
        call = ApiCall(method, args, status, body, self.workspace.now())
        with self._lock:
            self._calls.append(call)
        return JSONResponse(body, status_code=status, headers=headers)


async def _read_args(request: Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        raw = await request.body()
        if raw.strip():
            try:
                body = json.loads(raw)
            except json.JSONDecodeError as error:
                raise SlackError("invalid_json") from error
            if not isinstance(body, dict):
                raise SlackError("invalid_json")
            args.update(body)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        args.update({key: value for key, value in form.items() if isinstance(value, str)})
    elif content_type and content_type != "text/plain":
        raise SlackError("invalid_post_type")
    return args


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def _decoded(args: dict[str, Any]) -> JSON:
    decoded = dict(args)
    for key in _JSON_ARGS:
        if isinstance(decoded.get(key), str):
            with contextlib.suppress(json.JSONDecodeError):
                decoded[key] = json.loads(decoded[key])
    return decoded


def _error_body(error: SlackError) -> JSON:
    body: JSON = {"ok": False, "error": error.error}
    if error.messages:
        body["response_metadata"] = {"messages": list(error.messages)}
    return body
