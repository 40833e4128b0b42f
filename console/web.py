"""The console over HTTP, under `/console`: the page, its static files, a small JSON API, e-mail
previews, and the emulated Slack Web API itself (`/console/slack/api/<method>`, response_urls).

    GET  /console                         the page
    GET  /console/api/state?user=&place=&v=   the page's regions (only those whose key changed)
    POST /console/api/type                {user, channel, text}: a slash command or a message
    POST /console/api/act                 {user, surface, block_id, action_id, …, values}
    POST /console/api/suggest             {user, view, block_id, action_id, typed}: a type-ahead's options
    POST /console/api/submit | close      {user, view, values}
    POST /console/api/home                {user}: open the app's Home tab (app_home_opened)
    POST /console/api/shortcut            {user, callback_id}: a global shortcut from the ⚡ menu
    POST /console/api/dismiss             {user, ephemeral}
    GET  /console/outbox/<file>/html      an e-mail's HTML, sandboxed, for the preview iframe

The console is for this machine only: it answers only requests addressed to a loopback host name
(no DNS rebinding), and its POSTs must be same-origin JSON (no cross-site form posts).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from console.actions import ConsoleActions, ConsoleError, ElementRef, SlashCommand
from console.models import JSON, SlackError
from console.outbox import framed_html
from console.pages import TEMPLATES, ConsolePages, Place

PREFIX = "/console"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# An e-mail's HTML is the least trusted thing shown: no scripts, no requests, no same origin.
MAIL_HEADERS = {
    "Content-Security-Policy": (
        "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

Handler = Callable[[Request], Awaitable[Response]]


def host_is_loopback(request: Request) -> bool:
    host = request.headers.get("host", "")
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name in LOOPBACK_HOSTS


def _problem(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


class ConsoleWeb:
    def __init__(
        self,
        pages: ConsolePages,
        actions: ConsoleActions,
        *,
        slack_api: ASGIApp,
        commands: Sequence[SlashCommand],
        listen: str,
    ) -> None:
        self.pages = pages
        self.actions = actions
        self.commands = list(commands)
        self.listen = listen
        static = StaticFiles(directory=Path(__file__).parent / "static")
        routes: list[BaseRoute] = [
            Route(PREFIX, self.page, methods=["GET"]),
            Route(PREFIX + "/", lambda _: RedirectResponse(PREFIX), methods=["GET"]),
            Route(PREFIX + "/api/state", self._guard(self.state), methods=["GET"]),
            Route(PREFIX + "/api/type", self._post(self.type_text), methods=["POST"]),
            Route(PREFIX + "/api/act", self._post(self.act), methods=["POST"]),
            Route(PREFIX + "/api/suggest", self._post(self.suggest), methods=["POST"]),
            Route(PREFIX + "/api/submit", self._post(self.submit), methods=["POST"]),
            Route(PREFIX + "/api/close", self._post(self.close), methods=["POST"]),
            Route(PREFIX + "/api/file", self._post(self.attach_file), methods=["POST"]),
            Route(PREFIX + "/api/home", self._post(self.home), methods=["POST"]),
            Route(PREFIX + "/api/shortcut", self._post(self.shortcut), methods=["POST"]),
            Route(PREFIX + "/api/dismiss", self._post(self.dismiss), methods=["POST"]),
            Route(PREFIX + "/outbox/{name}/html", self._guard(self.mail_html), methods=["GET"]),
            Route(PREFIX + "/files/{file_id}", self._guard(self.shared_file), methods=["GET"]),
            Mount(PREFIX + "/static", app=static),
            Mount(PREFIX + "/slack", app=slack_api),
        ]
        self.app = Starlette(routes=routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    # --- guards ---------------------------------------------------------------------------

    def _guard(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            if not host_is_loopback(request):
                return _problem("the console answers only on 127.0.0.1 / localhost", 403)
            return await handler(request)

        return guarded

    def _post(self, action: Callable[[dict[str, Any]], str | JSON | None]) -> Handler:
        async def post(request: Request) -> Response:
            if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
                return _problem("send JSON (Content-Type: application/json)", 415)
            origin = request.headers.get("origin")
            if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host')}":
                return _problem("cross-origin requests are refused", 403)
            try:
                body = json.loads(await request.body())
            except json.JSONDecodeError:
                return _problem("the body is not JSON")
            if not isinstance(body, dict):
                return _problem("the body must be a JSON object")
            try:
                notice = await run_in_threadpool(action, body)
            except ConsoleError as error:
                return _problem(str(error))
            except KeyError as error:
                return _problem(f"missing field {error}")
            if isinstance(notice, dict):  # an answer with data, not a notice to show
                return JSONResponse({"ok": True, **notice})
            return JSONResponse({"ok": True, "notice": notice})

        return self._guard(post)

    # --- the page -------------------------------------------------------------------------

    async def page(self, request: Request) -> Response:
        if not host_is_loopback(request):
            return _problem("the console answers only on 127.0.0.1 / localhost", 403)
        ws = self.pages.ws
        with ws.lock:
            people = [
                {
                    "id": p.user_id,
                    "name": ws.users[p.user_id].real_name or ws.users[p.user_id].name,
                    "role": p.role,
                }
                for p in self.pages.personas
                if p.user_id in ws.users
            ]
        html = TEMPLATES.get_template("console.html").render(
            prefix=PREFIX,
            people=people,
            listen=self.listen,
            team=ws.identity.team_name,
            suggestions=[s for c in self.commands for s in c.suggestions()],
            shortcuts=list(self.actions.driver.app.global_shortcuts.values()),
        )
        return HTMLResponse(html, headers=PAGE_HEADERS)

    async def state(self, request: Request) -> Response:
        user = request.query_params.get("user", "")
        if user not in self.pages.ws.users:
            return _problem(f"nobody with id {user!r} in this workspace")
        try:
            place = Place.parse(request.query_params.get("place", "channel:dm"))
        except ValueError as error:
            return _problem(str(error))
        regions = await run_in_threadpool(self.pages.regions, user, place)
        version = "-".join(region.key for region in regions.values())
        if request.query_params.get("v") == version:
            return JSONResponse({"version": version}, headers={"Cache-Control": "no-store"})
        body = {
            "version": version,
            "regions": {name: {"key": r.key, "html": r.html} for name, r in regions.items()},
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def shared_file(self, request: Request) -> Response:
        """A file shared in a channel, as a member downloads it in Slack's client."""
        try:
            stored = self.actions.ws.files.get(str(request.path_params["file_id"]))
        except SlackError:
            return PlainTextResponse("No such file.", status_code=404)
        disposition = f'attachment; filename="{stored.name.replace(chr(34), "")}"'
        return Response(
            stored.data or b"", media_type="text/csv", headers={"Content-Disposition": disposition}
        )

    async def mail_html(self, request: Request) -> Response:
        name = request.path_params["name"]
        try:
            mail = await run_in_threadpool(self.pages.outbox.read, name)
        except (LookupError, OSError):
            return HTMLResponse("<p>No such e-mail.</p>", status_code=404, headers=MAIL_HEADERS)
        if mail.html is None:
            return HTMLResponse("<p>This e-mail has no HTML part.</p>", status_code=404, headers=MAIL_HEADERS)
        return HTMLResponse(framed_html(mail.html), headers=MAIL_HEADERS)

    # --- actions (run in the thread pool: they wait for the app's answer) ------------------

    def type_text(self, body: dict[str, Any]) -> str | None:
        return self.actions.type_text(str(body["user"]), str(body["channel"]), str(body["text"]))

    def act(self, body: dict[str, Any]) -> str | None:
        value = body.get("value")
        ref = ElementRef(
            surface=str(body["surface"]),
            block_id=str(body.get("block_id", "")),
            action_id=str(body["action_id"]),
            channel=str(body.get("channel", "")),
            ts=str(body.get("ts", "")),
            ephemeral=str(body.get("ephemeral", "")),
            view=str(body.get("view", "")),
            value=None if value is None else str(value),
            chosen=body.get("chosen"),
        )
        return self.actions.act(str(body["user"]), ref, _values(body))

    def suggest(self, body: dict[str, Any]) -> JSON:
        options = self.actions.suggest(
            str(body["user"]),
            str(body["view"]),
            str(body["block_id"]),
            str(body["action_id"]),
            str(body["typed"]),
        )
        return {"options": options}

    def submit(self, body: dict[str, Any]) -> str | None:
        return self.actions.submit(str(body["user"]), str(body["view"]), _values(body))

    def attach_file(self, body: dict[str, Any]) -> str | None:
        try:
            data = base64.b64decode(str(body["data"]), validate=True)
        except binascii.Error:
            raise ConsoleError("the file's data is not base64") from None
        return self.actions.attach_file(
            str(body["user"]),
            str(body["view"]),
            str(body["block_id"]),
            str(body["action_id"]),
            str(body["name"]),
            data,
        )

    def close(self, body: dict[str, Any]) -> str | None:
        return self.actions.close(str(body["user"]), str(body["view"]))

    def home(self, body: dict[str, Any]) -> str | None:
        return self.actions.open_home(str(body["user"]))

    def shortcut(self, body: dict[str, Any]) -> str | None:
        return self.actions.use_shortcut(str(body["user"]), str(body["callback_id"]))

    def dismiss(self, body: dict[str, Any]) -> str | None:
        self.actions.dismiss(str(body["user"]), str(body["ephemeral"]))
        return None


def _values(body: dict[str, Any]) -> dict[str, Any]:
    values = body.get("values")
    return values if isinstance(values, dict) else {}
