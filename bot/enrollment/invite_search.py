"""Search in the Send Enrollment Invitation form, from the click to the results kept.

A person waits from pressing Search to the updated modal. Only what the modal needs is done
before it is shown: the directory search and, on another thread meanwhile, the request's retry
claim with the rest of the form (one short transaction, `find`). The results are kept with the
draft after the modal shows them (`show_and_keep`): Add carries the person it adds, so it needs
them kept only for later changes that show the form again.

Searches are ordered by when they were pressed (Slack's `action_ts`): a search that finishes
after a newer one is not shown (within this process) and never replaces the newer one's results
in the draft (across replicas too; another replica's older search may still be shown until the
next change)."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.db import Database
from bot.enrollment import drafts
from bot.enrollment.draft_reads import Claim
from bot.enrollment.invite_form import FormRef, FormSettings, InviteForm, read_owned_form
from bot.integrations.directory.port import Directory, DirectoryError, MatchMode
from bot.request_keys import AlreadyClaimed, claim_many

RESULTS = 8
EMPTY_SEARCH = "Type a name, an account name or an e-mail address, then press Search."
log = logging.getLogger(__name__)
# Reads the rest of the form while the directory answers a Search.
_readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="invite-form")
# Keeps the results with the draft once they are shown.
_keepers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="invite-keep")


@dataclass(frozen=True)
class Search:
    form: FormRef
    text: str
    mode: MatchMode
    # When it was pressed, in microseconds since the epoch: a later search's results win.
    at: int


@dataclass(frozen=True)
class Found:
    """A search's answer: the form to show, and the results to keep with the draft."""

    form: InviteForm
    search: dict[str, Any]
    ref: drafts.DraftRef
    at: int


def find(
    db: Database,
    directory: Directory,
    command: Search,
    *,
    now: datetime,
    settings: FormSettings,
    once: str | None = None,
) -> Found:
    """The form with the search's results; a directory that fails is said in the results.
    `once`: a request key claimed with the form's read (AlreadyClaimed for a repeat, which is
    neither shown nor kept). Nothing is changed but the claim.

    The rest of the form (the invitees, the forecast, the languages) does not depend on the
    answer: it is read on another thread while the directory answers, so a person waits for the
    slower of the two, not for one after the other."""
    text = command.text.strip()
    reading = _readers.submit(_read, db, command.form, settings, once, now)
    result, problem = None, None
    if not text:
        problem = EMPTY_SEARCH
    else:
        try:
            result = directory.search(text, command.mode, limit=RESULTS)
        except DirectoryError as error:
            problem = str(error)
    shown = reading.result()
    data = drafts.search_data(text=text, mode=command.mode, result=result, problem=problem)
    summary = replace(shown.summary, search=drafts.search_state_of(data), notice=None)
    ref = drafts.DraftRef(command.form.draft_id, command.form.owner)
    return Found(replace(shown, summary=summary), data, ref, command.at)


def _read(db: Database, form: FormRef, settings: FormSettings, once: str | None, now: datetime) -> InviteForm:
    if once is None:
        with db.read() as session:
            return read_owned_form(session.connection(), form, settings)
    if db.is_postgresql:
        # The claim and the read in one statement, a transaction of its own: one round trip
        # (each is also a wait for this thread to get the GIL back from the directory's).
        with db.statements() as connection:
            return read_owned_form(connection, form, settings, claim=Claim(once, form.owner, now))
    # Not durable: a claim lost in a crash of the database server lets a retry search again.
    with db.write(durable=False) as connection:
        if not claim_many(connection, [once], now=now):
            raise AlreadyClaimed(once)
        return read_owned_form(connection, form, settings)


def show_and_keep(
    db: Database, found: Found, *, now: datetime, show: Callable[[InviteForm], None]
) -> Future[bool]:
    """Shows the form (unless a newer search of the draft was shown), then keeps the results
    with the draft (unless it keeps a newer search's) on another thread: whether they were kept.

    The listener is done once the modal is shown: a listener still running when the next click
    comes makes that click wait as if in a burst (bot/slack/acks.py)."""
    with _order.turn(found.ref.draft_id, found.at) as newest:
        if newest:
            show(found.form)
    if not newest:
        shown: Future[bool] = Future()
        shown.set_result(False)
        return shown
    keeping = _keepers.submit(_keep, db, found, now)
    keeping.add_done_callback(_log_failure)
    _order.keeping(found.ref.draft_id, keeping)
    return keeping


def settled(draft_id: str, *, timeout: float = 2.0) -> None:
    """Waits (at most `timeout`) until the results this process last showed in the draft's form
    are kept: a change that shows the form again (an Add, a Remove) then shows them too."""
    keeping = _order.kept(draft_id)
    if keeping is not None:
        wait([keeping], timeout=timeout)


def _keep(db: Database, found: Found, now: datetime) -> bool:
    # Not durable: results lost in a crash of the database server are searched again.
    with db.write(durable=False) as connection:
        return drafts.record_search(connection, found.ref, found.search, at=found.at, now=now)


def _log_failure(keeping: Future[bool]) -> None:
    if (error := keeping.exception()) is not None:
        log.error("a search's results were shown but could not be kept with the draft", exc_info=error)


@dataclass
class _Shown:
    lock: threading.Lock = field(default_factory=threading.Lock)
    at: int = -1
    keeping: Future[bool] | None = None  # the newest shown search's results being kept


class SearchOrder:
    """The newest search shown of each draft, in this process: one of a draft's searches is
    shown at a time, and only if none pressed later was shown before it. Remembers the last
    `keep` drafts searched."""

    def __init__(self, keep: int = 1000) -> None:
        self._keep = keep
        self._guard = threading.Lock()
        self._drafts: OrderedDict[str, _Shown] = OrderedDict()

    def _entry(self, draft_id: str) -> _Shown:
        with self._guard:
            shown = self._drafts.pop(draft_id, None) or _Shown()
            self._drafts[draft_id] = shown
            while len(self._drafts) > self._keep:
                self._drafts.popitem(last=False)
            return shown

    def keeping(self, draft_id: str, keeping: Future[bool]) -> None:
        self._entry(draft_id).keeping = keeping

    def kept(self, draft_id: str) -> Future[bool] | None:
        with self._guard:
            shown = self._drafts.get(draft_id)
            return shown.keeping if shown is not None else None

    @contextmanager
    def turn(self, draft_id: str, at: int) -> Iterator[bool]:
        shown = self._entry(draft_id)
        with shown.lock:
            newest = at > shown.at
            yield newest
            if newest:
                shown.at = at


_order = SearchOrder()
