"""The HTTP server: Starlette under uvicorn, with Bolt dispatched on a thread pool so that a
slow request never holds up the others (50 at once are acked well inside Slack's 3 s)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.deps import Deps
from bot.web.basic_enrollment import basic_enrollment_routes
from bot.web.enrollment import enrollment_routes
from bot.web.metrics import Metrics
from bot.web.pages import page_routes
from bot.web.slack_guard import SlackRequestReader

access_log = logging.getLogger("deskops.access")
# Links carry secrets in their path; the access log shows only which kind of link it was.
_SECRET_PATHS = re.compile(r"^/(activate|enroll)/[^/]+")
THREADPOOL_SIZE = 100


def loggable_path(path: str) -> str:
    return _SECRET_PATHS.sub(lambda m: f"/{m.group(1)}/…", path)


def _slack_kind(body: dict[str, Any]) -> str:
    if "command" in body:
        return "command"
    return str(body.get("type") or "unknown")


class AccessLog(BaseHTTPMiddleware):
    def __init__(self, app: Any, metrics: Metrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        route = loggable_path(request.url.path)
        self.metrics.http_requests.labels(route=_route_label(route), status=str(response.status_code)).inc()
        access_log.info("%s %s %s %.1fms", request.method, route, response.status_code, elapsed_ms)
        return response


def _route_label(path: str) -> str:
    for prefix in ("/activate/", "/enroll/", "/console"):
        if path.startswith(prefix):
            return prefix.rstrip("/")
    return path


def create_web_app(
    bolt: App, deps: Deps, metrics: Metrics, extra_routes: list[BaseRoute] | None = None
) -> Starlette:
    assert deps.settings.slack_signing_secret is not None
    reader = SlackRequestReader(deps.settings.slack_signing_secret.get_secret_value())

    async def slack_events(request: Request) -> Response:
        started = time.perf_counter()
        body = await request.body()
        bolt_request = reader.read(request, body)  # what Bolt cannot read safely is answered here
        if isinstance(bolt_request, Response):
            return bolt_request
        response = await run_in_threadpool(bolt.dispatch, bolt_request)
        metrics.ack_seconds.observe(time.perf_counter() - started)
        metrics.slack_requests.labels(kind=_slack_kind(bolt_request.body)).inc()
        return to_starlette_response(response)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        try:
            await run_in_threadpool(deps.db.ping)
        except Exception as error:
            return JSONResponse({"status": "unavailable", "database": type(error).__name__}, status_code=503)
        return JSONResponse({"status": "ready", "database": "ok"})

    async def metrics_endpoint(_: Request) -> Response:
        return PlainTextResponse(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Enough worker threads for a burst of Slack requests plus page views.
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADPOOL_SIZE
        yield

    routes: list[BaseRoute] = [
        Route("/slack/events", slack_events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        *page_routes(deps),
        *basic_enrollment_routes(deps),
        *enrollment_routes(deps),
        *(extra_routes or []),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(AccessLog, metrics=metrics)],
        lifespan=lifespan,
    )
