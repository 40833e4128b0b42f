"""The Bolt app, built once from its dependencies: no module-global app, nothing mutated per request."""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse

from bot.deps import Deps
from bot.slack.acks import FollowUpGate, GatedAck, RepeatedRequest
from bot.slack.dedupe import RequestClaims
from bot.slack.sealing import MetadataSeal
from bot.traffic import RequestTraffic
from bot.web.metrics import Metrics
from bot.web.slack_middleware import DropSlackRetries, LogWhoAsked, ProvideDependencies, RefuseReplays

log = logging.getLogger(__name__)


class TimedExecutor(ThreadPoolExecutor):
    """Bolt runs each listener on this pool (the listener acks, then works); it records how long
    handlers take, and holds the gate that lets acks go out before follow-up work.

    As many threads as the web server dispatches requests at once: a listener that waits for a
    thread cannot ack."""

    def __init__(
        self, metrics: Metrics, max_workers: int = 100, *, traffic: RequestTraffic | None = None
    ) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="listener")
        self.metrics = metrics
        self.gate = FollowUpGate(threads=max_workers, traffic=traffic)
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
            self.gate.listener_started()
            try:
                return fn(*args, **kwargs)
            except RepeatedRequest as repeated:
                log.info("dropped a repeated Slack request (%s)", repeated.key.split(":", 1)[0])
                self.metrics.slack_retries_dropped.inc()
                return None
            finally:
                self.gate.finished()
                self.metrics.handler_seconds.observe(time.perf_counter() - started)
                with self._count_lock:
                    self._in_flight -= 1

        with self._count_lock:
            self._in_flight += 1
        self.gate.listener_queued()
        # The listener logs under the request's id and Slack user and team (bot.log_context).
        context = contextvars.copy_context()
        return super().submit(context.run, timed)


class DeskopsApp(App):
    """Bolt's App whose listeners ack before their follow-up work competes with other acks."""

    def __init__(self, *, gate: FollowUpGate, seal: MetadataSeal, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = gate
        self.seal = seal

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        # Here rather than in a middleware: Bolt's middleware cannot see the ack's answer, and
        # Socket Mode dispatches here too.
        self.seal.open_request(req.body)
        with self.gate.dispatching():
            req.context["ack"] = GatedAck(self.gate)
            return self.seal.seal_ack(super().dispatch(req))


def create_app(deps: Deps, metrics: Metrics, executor: TimedExecutor) -> App:
    assert deps.settings.slack_signing_secret is not None
    seal = MetadataSeal(deps.tokens)
    app = DeskopsApp(
        gate=executor.gate,
        seal=seal,
        client=deps.slack,
        signing_secret=deps.settings.slack_signing_secret.get_secret_value(),
        # Listeners ack first and do their work afterwards on the executor (Slack wants the ack in 3 s).
        process_before_response=False,
        listener_executor=executor,
        token_verification_enabled=False,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("slack_bolt"),
    )
    app.use(LogWhoAsked())
    app.use(ProvideDependencies(deps, seal))
    app.use(RefuseReplays(metrics))
    from commands import register_listeners, views_claimed_by_listener

    claims = RequestClaims(deps.db, deps.clock)
    app.use(DropSlackRetries(claims, metrics, claimed_by_listener=views_claimed_by_listener()))

    register_listeners(app)
    return app
