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
ACK_DEADLINE = 3.0  # seconds Slack waits for an ack (Bolt's listener ack_timeout)


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
        self._awaited = threading.local()

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
        future = super().submit(context.run, timed)
        ack, self._awaited.ack = getattr(self._awaited, "ack", None), None
        if ack is not None:
            # Bolt's dispatcher looks for the listener's ack every 10 ms once this returns;
            # returning when the ack is set spares each ack up to 10 ms, and the dispatchers of
            # a burst their rounds of waking up to look.
            future.add_done_callback(lambda _: ack.sent.set())
            ack.sent.wait(ACK_DEADLINE)
        return future

    def await_ack(self, ack: GatedAck | None) -> None:
        """On a dispatcher thread: the next listener submitted from it answers with `ack`."""
        self._awaited.ack = ack


class DeskopsApp(App):
    """Bolt's App whose listeners ack before their follow-up work competes with other acks."""

    def __init__(self, *, executor: TimedExecutor, seal: MetadataSeal, **kwargs: Any) -> None:
        super().__init__(listener_executor=executor, **kwargs)
        self.executor = executor
        self.gate = executor.gate
        self.seal = seal

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        # Here rather than in a middleware: Bolt's middleware cannot see the ack's answer, and
        # Socket Mode dispatches here too.
        self.seal.open_request(req.body)
        with self.gate.dispatching():
            ack = GatedAck(self.gate)
            req.context["ack"] = ack
            self.executor.await_ack(ack)
            try:
                return self.seal.seal_ack(super().dispatch(req))
            finally:
                self.executor.await_ack(None)


def create_app(deps: Deps, metrics: Metrics, executor: TimedExecutor) -> App:
    assert deps.settings.slack_signing_secret is not None
    seal = MetadataSeal(deps.tokens)
    app = DeskopsApp(
        executor=executor,
        seal=seal,
        client=deps.slack,
        signing_secret=deps.settings.slack_signing_secret.get_secret_value(),
        # Listeners ack first and do their work afterwards on the executor (Slack wants the ack in 3 s).
        process_before_response=False,
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
