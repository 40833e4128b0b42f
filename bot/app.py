"""The Bolt app, built once from its dependencies: no module-global app, nothing mutated per request."""

from __future__ import annotations

import contextvars
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse

from bot.deps import Deps
from bot.log_context import slack_context
from bot.slack.acks import FollowUpGate, GatedAck, RepeatedRequest
from bot.slack.dedupe import RequestClaims, request_key
from bot.slack.replays import ReplayGuard
from bot.slack.sealing import MetadataSeal, SealingWebClient
from bot.web.metrics import Metrics
from bot.web.server import slack_kind

log = logging.getLogger(__name__)
SLASH_COMMAND = re.compile(r"^/[a-z0-9_-]{1,32}$")


class TimedExecutor(ThreadPoolExecutor):
    """Bolt runs each listener on this pool (the listener acks, then works); it records how long
    handlers take, and holds the gate that lets acks go out before follow-up work.

    As many threads as the web server dispatches requests at once: a listener that waits for a
    thread cannot ack."""

    def __init__(self, metrics: Metrics, max_workers: int = 100) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="listener")
        self.metrics = metrics
        self.gate = FollowUpGate(threads=max_workers)
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


def _acks_first(body: dict[str, Any]) -> bool:
    """Slash commands and block actions: every listener of these acks before doing anything
    (commands/ keeps it so), so their retry check can wait until after the ack. Other requests
    (events, view submissions, options) are checked before their listener runs."""
    return bool(body.get("command")) or body.get("type") == "block_actions"


def _options_request(body: dict[str, Any]) -> bool:
    """An options request (a person typing into a type-ahead field) only reads, carries nothing
    unique (no trigger_id) and is never retried by Slack: the same text typed again within a second
    is the same signed body, and must be answered again, not refused as a replay or a retry."""
    return body.get("type") == "block_suggestion"


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

    @app.middleware
    def log_who_asked(
        body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        # Verified by Bolt before any middleware: the ids are Slack's, not an outsider's. What
        # was typed is never logged: only the command's name or the kind of request.
        with slack_context(context.user_id, context.team_id):
            command = str(body.get("command") or "")
            log.info("slack request: %s", command if SLASH_COMMAND.match(command) else slack_kind(body))
            return next()

    @app.middleware
    def provide_dependencies(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        # Listeners take `deps` by name; each opens its own unit of work with deps.db.transaction(),
        # because after the ack they run on another thread, when this middleware has returned.
        context["deps"] = deps
        # Bolt gives each request a client of its own; ours seals the views it sends.
        context["client"] = SealingWebClient(seal, context.client)
        return next()

    replays = ReplayGuard()

    @app.middleware
    def refuse_replays(req: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse:
        # After Bolt's own check: only a correctly signed, fresh request gets here.
        if "x-slack-retry-num" not in req.headers and not _options_request(req.body):
            timestamp = (req.headers.get("x-slack-request-timestamp") or [""])[0]
            signature = (req.headers.get("x-slack-signature") or [""])[0]
            if signature and not replays.first_time(timestamp, signature):
                log.warning("refused a replayed Slack request (its signature was seen before)")
                metrics.slack_replays_refused.inc()
                return BoltResponse(status=401, body='{"error":"invalid request"}')
        return next()

    claims = RequestClaims(deps.db, deps.clock)

    @app.middleware
    def drop_slack_retries(
        req: BoltRequest,
        body: dict[str, Any],
        context: BoltContext,
        next: Callable[[], BoltResponse],
    ) -> BoltResponse | None:
        if body.get("type") == "url_verification" or body.get("ssl_check") or _options_request(body):
            return next()
        key = request_key(body, req.raw_body)
        ack = context.ack
        if _acks_first(body) and isinstance(ack, GatedAck):
            # The listener acks before anything else: claim right after that ack, off its path.
            ack.claim_after_ack(claims, key)
            return next()
        if not claims.claim(key):
            retry = req.headers.get("x-slack-retry-num", ["?"])[0]
            log.info("dropped a repeated Slack request (retry %s)", retry)
            metrics.slack_retries_dropped.inc()
            return BoltResponse(status=200, body="")
        return next()

    from commands import register_listeners

    register_listeners(app)
    return app
