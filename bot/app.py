"""The Bolt app, built once from its dependencies: no module-global app, nothing mutated per request."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse

from bot.deps import Deps
from bot.slack.dedupe import claim, request_key
from bot.web.metrics import Metrics

log = logging.getLogger(__name__)


class TimedExecutor(ThreadPoolExecutor):
    """Bolt runs each listener on this pool after the ack; it records how long handlers take."""

    def __init__(self, metrics: Metrics, max_workers: int = 32) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="listener")
        self.metrics = metrics
        self._in_flight = 0
        self._count_lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        """Listeners submitted and not yet finished (a graceful stop waits for zero)."""
        with self._count_lock:
            return self._in_flight

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def timed() -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.metrics.handler_seconds.observe(time.perf_counter() - started)
                with self._count_lock:
                    self._in_flight -= 1

        with self._count_lock:
            self._in_flight += 1
        return super().submit(timed)


def create_app(deps: Deps, metrics: Metrics, executor: TimedExecutor) -> App:
    assert deps.settings.slack_signing_secret is not None
    app = App(
        client=deps.slack,
        signing_secret=deps.settings.slack_signing_secret.get_secret_value(),
        # Listeners ack first and do their work afterwards on the executor (Slack wants the ack in 3 s).
        process_before_response=False,
        listener_executor=executor,
        token_verification_enabled=False,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("slack_bolt"),
    )

    @app.middleware
    def provide_dependencies(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        # Listeners take `deps` by name; each opens its own unit of work with deps.db.transaction(),
        # because after the ack they run on another thread, when this middleware has returned.
        context["deps"] = deps
        return next()

    @app.middleware
    def drop_slack_retries(
        req: BoltRequest, body: dict[str, Any], next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        if body.get("type") == "url_verification" or body.get("ssl_check"):
            return next()
        key = request_key(body, req.raw_body)
        with deps.db.transaction() as session:
            first = claim(session, key, now=deps.clock.now())
        if not first:
            retry = req.headers.get("x-slack-retry-num", ["?"])[0]
            log.info("dropped a repeated Slack request (retry %s)", retry)
            metrics.slack_retries_dropped.inc()
            return BoltResponse(status=200, body="")
        return next()

    from commands import register_listeners

    register_listeners(app)
    return app
