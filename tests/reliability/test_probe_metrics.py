"""External probe, /metrics and the access log: label values come from a closed set whatever
paths and bodies outsiders send (the probe grew /metrics from 10 KB to 2 MB with 2,000 random
paths), and every response is logged and counted — 5xx included, which the access log and
`deskops_http_requests_total` used to miss when an endpoint raised."""

from __future__ import annotations

import json
import logging
import re
import time

import httpx
import pytest
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.edge import UNKNOWN_ROUTE, AccessLog
from bot.web.metrics import Metrics
from bot.web.server import SLACK_KINDS
from console import SlackEmulator
from console.server import BackgroundServer
from console.transport import SentRequest
from tests.reliability.conftest import SQLITE_ONLY
from tests.reliability.properties import run_property
from tests.support.app import RunningApp
from tests.support.reliability import Figures

PATH_TEXT = st.text(
    st.characters(
        min_codepoint=0x21,
        max_codepoint=0x2FFF,
        exclude_characters="?#%",
        exclude_categories=("Cc", "Cs", "Zs"),
    ),
    max_size=60,
)
KIND_TEXT = st.text(max_size=40)


def label_values(metrics: str, family: str, label: str) -> set[str]:
    return set(re.findall(rf'^{family}\{{[^}}]*{label}="([^"]*)"', metrics, flags=re.MULTILINE))


@SQLITE_ONLY
def test_random_paths_and_body_kinds_add_no_label_values(
    helpdesk_app: RunningApp, slack_emulator: SlackEmulator, figures: Figures, request: pytest.FixtureRequest
) -> None:
    known_routes = {str(getattr(r, "path", "")) for r in helpdesk_app.service.web.routes} | {UNKNOWN_ROUTE}
    with helpdesk_app.http() as http:
        http.get("/healthz")
        baseline = len(http.get("/metrics").content)

        def check(example: tuple[str, str, bool]) -> None:
            path, kind, signed = example
            http.get("/p/" + path)
            body = json.dumps({"type": kind, "token": "x"}).encode()
            if signed:
                slack_emulator.send_raw(SentRequest("event", body))
            else:
                http.post("/slack/events", content=body, headers={"X-Slack-Signature": "v0=0"})
            figures.add("requests sent to the app", 2)

        run_property(request, st.tuples(PATH_TEXT, KIND_TEXT, st.booleans()), check, default=150)
        metrics = http.get("/metrics").text
    assert label_values(metrics, "deskops_http_requests_total", "route") <= known_routes
    assert label_values(metrics, "deskops_slack_requests_total", "kind") <= SLACK_KINDS | {"other"}
    # A few new series (status codes, `other`) at most, not one per path or body.
    assert len(metrics.encode()) - baseline < 4000, f"/metrics grew from {baseline} to {len(metrics)} bytes"


def test_a_response_from_an_endpoint_that_raised_is_logged_and_counted(
    caplog: pytest.LogCaptureFixture, figures: Figures
) -> None:
    """Starlette answers an exception with 500 outside any BaseHTTPMiddleware, so an access log
    built on it missed every 500. AccessLog sees it: one line, one count, one traceback."""

    async def raising(_: Request) -> Response:
        raise RuntimeError("a bug")

    metrics = Metrics()
    routes = [Route("/items/{item}", raising)]
    app = Starlette(routes=routes, middleware=[Middleware(AccessLog, metrics=metrics, routes=routes)])
    caplog.set_level(logging.INFO)
    server = BackgroundServer(app)
    server.start()
    try:
        answer = httpx.get(f"{server.base_url}/items/42", trust_env=False, timeout=10)
    finally:
        server.stop()
    assert answer.status_code == 500
    assert "reference" in answer.json()["error"]
    value = metrics.registry.get_sample_value(
        "deskops_http_requests_total", {"route": "/items/{item}", "status": "500"}
    )
    assert value == 1.0
    lines = [r.getMessage() for r in caplog.records if r.name == "deskops.access"]
    assert len(lines) == 1 and lines[0].startswith("GET /items/42 500 ")
    assert sum(1 for r in caplog.records if r.exc_info) == 1
    figures.add("5xx answers logged and counted")


@SQLITE_ONLY
def test_the_access_log_escapes_what_the_path_holds(
    helpdesk_app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    """A path is the sender's choice: no line breaks or terminal codes reach the log."""
    caplog.set_level(logging.INFO)
    httpx.get(f"{helpdesk_app.url}/a%0d%0aFAKE%20200%1b[31m", trust_env=False, timeout=10)
    time.sleep(0.05)
    lines = [r.getMessage() for r in caplog.records if r.name == "deskops.access"]
    assert lines and all("\n" not in line and "\r" not in line and "\x1b" not in line for line in lines)
