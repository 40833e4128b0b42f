"""Bolt middleware of the Slack app, one class per concern (Bolt's `Middleware.process`), run in
the order `bot/app.py` adds them, after Bolt has verified the request's signature."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.deps import Deps
from bot.log_context import slack_context
from bot.slack.acks import GatedAck
from bot.slack.dedupe import RequestClaims, request_key
from bot.slack.replays import ReplayGuard
from bot.slack.sealing import MetadataSeal, SealingWebClient
from bot.web.metrics import Metrics
from bot.web.server import slack_kind

log = logging.getLogger(__name__)
SLASH_COMMAND = re.compile(r"^/[a-z0-9_-]{1,32}$")
Next = Callable[[], BoltResponse]


class LogWhoAsked(Middleware):
    """Logs each request under its Slack user and team. The ids are Slack's (verified before any
    middleware), and what was typed is never logged: only the command's name or the kind."""

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Next) -> BoltResponse:
        with slack_context(req.context.user_id, req.context.team_id):
            command = str(req.body.get("command") or "")
            log.info("slack request: %s", command if SLASH_COMMAND.match(command) else slack_kind(req.body))
            return next()


class ProvideDependencies(Middleware):
    """Hands listeners `deps` by name. Each opens its own unit of work, because after the ack it
    runs on another thread, when this middleware has returned."""

    def __init__(self, deps: Deps, seal: MetadataSeal) -> None:
        self.deps = deps
        # Listeners get a client that seals the views it sends, instead of Bolt's own. One for
        # every request: deskops has one bot token, and a WebClient keeps no state between calls
        # (building one a request cost every ack in a burst the platform and proxy look-ups).
        self.client = SealingWebClient(seal, deps.slack)

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Next) -> BoltResponse:
        req.context["deps"] = self.deps
        req.context["client"] = self.client
        return next()


def _options_request(body: dict[str, Any]) -> bool:
    """An options request (a person typing into a type-ahead field) only reads, carries nothing
    unique (no trigger_id) and is never retried by Slack: the same text typed again within a second
    is the same signed body, and must be answered again, not refused as a replay or a retry."""
    return body.get("type") == "block_suggestion"


class RefuseReplays(Middleware):
    """Refuses a first delivery whose signature was seen before (only a correctly signed, fresh
    request gets here: Bolt checks before)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics, self.replays = metrics, ReplayGuard()

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Next) -> BoltResponse:
        if "x-slack-retry-num" not in req.headers and not _options_request(req.body):
            timestamp = (req.headers.get("x-slack-request-timestamp") or [""])[0]
            signature = (req.headers.get("x-slack-signature") or [""])[0]
            if signature and not self.replays.first_time(timestamp, signature):
                log.warning("refused a replayed Slack request (its signature was seen before)")
                self.metrics.slack_replays_refused.inc()
                return BoltResponse(status=401, body='{"error":"invalid request"}')
        return next()


def _acks_first(body: dict[str, Any]) -> bool:
    """Slash commands and block actions: every listener of these acks before doing anything
    (commands/ keeps it so), so their retry check can wait until after the ack. Other requests
    (events, view submissions, options) are checked before their listener runs."""
    return bool(body.get("command")) or body.get("type") == "block_actions"


class DropSlackRetries(Middleware):
    """Answers a request whose key was claimed before (a Slack retry) with an empty 200.
    `claimed_by_listener`: callback ids of view submissions whose listeners claim the key in
    their own first write (bot.slack.acks.claim_in_listener)."""

    def __init__(
        self, claims: RequestClaims, metrics: Metrics, *, claimed_by_listener: frozenset[str] = frozenset()
    ) -> None:
        self.claims, self.metrics = claims, metrics
        self.claimed_by_listener = claimed_by_listener

    def _listener_claims(self, body: dict[str, Any]) -> bool:
        view = body.get("view")
        return (
            body.get("type") == "view_submission"
            and isinstance(view, dict)
            and view.get("callback_id") in self.claimed_by_listener
        )

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Next) -> BoltResponse:
        body = req.body
        if body.get("type") == "url_verification" or body.get("ssl_check") or _options_request(body):
            return next()
        key = request_key(body, req.raw_body)
        ack = req.context.ack
        if (_acks_first(body) or self._listener_claims(body)) and isinstance(ack, GatedAck):
            # The listener acks before anything else, or claims in its own write: claim right
            # after that ack (unless the listener took the claim), off its path.
            ack.claim_after_ack(self.claims, key)
            return next()
        if not self.claims.claim(key):
            retry = req.headers.get("x-slack-retry-num", ["?"])[0]
            log.info("dropped a repeated Slack request (retry %s)", retry)
            self.metrics.slack_retries_dropped.inc()
            return BoltResponse(status=200, body="")
        return next()
