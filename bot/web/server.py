"""The HTTP server: Starlette under uvicorn, with Bolt dispatched on a thread pool so that a
slow request never holds up the others (50 at once are acked well inside Slack's 3 s)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, nullcontext
from typing import Any

import anyio
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.deps import Deps
from bot.traffic import RequestTraffic
from bot.web.basic_enrollment import basic_enrollment_routes
from bot.web.edge import AccessLog, BodyLimit
from bot.web.enrollment import enrollment_routes
from bot.web.metrics import Metrics
from bot.web.pages import page_routes
from bot.web.rendering import Pages
from bot.web.slack_guard import SlackRequestReader

THREADPOOL_SIZE = 100
# The kinds of Slack request counted; anything else is counted as `other`, so that a body cannot
# add label values to /metrics.
SLACK_KINDS = frozenset(
    {
        "command",
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "event_callback",
        "url_verification",
    }
)


def slack_kind(body: dict[str, Any]) -> str:
    kind = "command" if "command" in body else str(body.get("type") or "")
    return kind if kind in SLACK_KINDS else "other"


def slack_endpoint(
    bolt: App, reader: SlackRequestReader, metrics: Metrics, traffic: RequestTraffic | None
) -> Callable[[Request], Awaitable[Response]]:
    """POST /slack/events: read and check at the edge, then Bolt on the thread pool. `traffic`
    counts the request from its first byte read to its answer (bot.traffic)."""

    async def slack_events(request: Request) -> Response:
        with traffic.answering() if traffic else nullcontext():
            started = time.perf_counter()
            body = await request.body()
            bolt_request = reader.read(request, body)  # what Bolt cannot read safely is answered here
            if isinstance(bolt_request, Response):
                return bolt_request
            response = await run_in_threadpool(bolt.dispatch, bolt_request)
            metrics.ack_seconds.observe(time.perf_counter() - started)
            if response.status != 401:  # a replay Bolt refused is counted by the access log only
                metrics.slack_requests.labels(kind=slack_kind(bolt_request.body)).inc()
            return to_starlette_response(response)

    return slack_events


def create_web_app(
    bolt: App,
    deps: Deps,
    metrics: Metrics,
    extra_routes: list[BaseRoute] | None = None,
    *,
    traffic: RequestTraffic | None = None,
) -> Starlette:
    assert deps.settings.slack_signing_secret is not None
    reader = SlackRequestReader(deps.settings.slack_signing_secret.get_secret_value())
    pages = Pages.from_settings(deps.settings)
    slack_events = slack_endpoint(bolt, reader, metrics, traffic)

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
        *page_routes(deps, pages),
        *basic_enrollment_routes(deps, pages),
        *enrollment_routes(deps, pages),
        *(extra_routes or []),
    ]
    return Starlette(
        routes=routes,
        # The access log outermost, so that it sees the body limit's 413s too.
        middleware=[Middleware(AccessLog, metrics=metrics, routes=routes), Middleware(BodyLimit)],
        lifespan=lifespan,
    )
