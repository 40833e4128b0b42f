"""Slack retries (X-Slack-Retry-Num) are dropped when the same request was already taken.

Every request's key is claimed in the database (bot/request_keys.py, the one "do this once"
record), so the check holds across restarts and across
replicas sharing one PostgreSQL. `RequestClaims` claims the keys of concurrent requests together
(one short transaction per batch instead of one per request) so that a burst of requests does
not queue on the database before it is acked."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.db import Database
from bot.request_keys import claim_many


def request_key(body: dict[str, Any], raw_body: str) -> str:
    """What identifies one Slack request across its retries."""
    if body.get("type") == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}"
    trigger = body.get("trigger_id")
    if trigger:
        return f"trigger:{trigger}"
    payload = body.get("payload")
    if isinstance(payload, str):
        try:
            parsed = json.loads(payload)
        except ValueError:
            parsed = {}
        if parsed.get("trigger_id"):
            return f"trigger:{parsed['trigger_id']}"
    return "body:" + hashlib.sha256(raw_body.encode("utf-8")).hexdigest()


class ClaimFailed(Exception):
    """The batch holding this request's key could not be written (e.g. the database is down)."""


@dataclass
class _Claim:
    key: str
    first: bool | None = None
    error: BaseException | None = None

    @property
    def answered(self) -> bool:
        return self.first is not None or self.error is not None


class RequestClaims:
    """`claim(key)` for many threads at once, as a group commit: a thread that finds no batch
    being written writes one, holding its own key and every key queued since; threads that
    arrive meanwhile wait for the batch after it. Under a burst that is one short transaction
    per batch instead of a transaction (and, on SQLite, a turn at the write lock) per request;
    each key still gets its own answer, from the database, before its request goes on."""

    def __init__(self, db: Database, clock: Clock, *, max_batch: int = 500) -> None:
        self.db = db
        self.clock = clock
        self.max_batch = max_batch
        self._queue: list[_Claim] = []
        self._writing = False
        self._changed = threading.Condition()

    def claim(self, key: str) -> bool:
        """True the first time a key is seen, False for a repeat; ClaimFailed if unknown."""
        mine = _Claim(key)
        with self._changed:
            self._queue.append(mine)
        while True:
            with self._changed:
                while self._writing and not mine.answered:
                    self._changed.wait()
                if mine.answered:
                    break
                self._writing = True
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            self._write(batch)
        if mine.error is not None:
            raise ClaimFailed(f"could not record Slack request {key!r}: {mine.error}") from mine.error
        return bool(mine.first)

    def _write(self, batch: list[_Claim]) -> None:
        try:
            # Not durable: a claim lost in a crash of the database server lets a retry of its
            # request through once more, and Slack retries only requests it had no ack for; any
            # durable commit after it (the listener's own) writes it to disk as well.
            with self.db.write(durable=False) as connection:
                firsts = claim_many(connection, [item.key for item in batch], now=self.clock.now())
            for item in batch:  # the same key twice in one batch: only the first one is first
                item.first = item.key in firsts
                firsts.discard(item.key)
        except Exception as error:
            for item in batch:
                item.error = error
        finally:
            with self._changed:
                self._writing = False
                self._changed.notify_all()
