"""What the Send Enrollment Invitation modal shows, read in one unit of work: the draft's search,
its page of invitees, the licence forecast and the customers' languages; and a Search, which a
person waits for."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from bot.customers.service import CustomerLanguages, customer_languages
from bot.db import Database
from bot.enrollment import drafts
from bot.enrollment.batches import forecast
from bot.enrollment.models import InviteDraft
from bot.enrollment.summary import DraftSummary, summarize_draft
from bot.integrations.directory.port import Directory, DirectoryError, MatchMode


@dataclass(frozen=True)
class FormOptions:
    page_size: int
    devices_per_licence: int
    language: str  # deskops' default language (LANGUAGE)


@dataclass(frozen=True)
class SearchQuery:
    text: str  # as typed, stripped; empty asks nobody
    mode: MatchMode
    limit: int  # results listed


@dataclass(frozen=True)
class InviteForm:
    summary: DraftSummary
    languages: CustomerLanguages


def _read(session: Session, draft: InviteDraft, offset: int, options: FormOptions) -> InviteForm:
    page = drafts.invitee_page(session, draft, offset=offset, limit=options.page_size)
    estimate = forecast(session, draft, draft.devices_per_person, per_licence=options.devices_per_licence)
    summary = summarize_draft(
        drafts.search_state(draft),
        page,
        forecast=estimate,
        platform=draft.platform,
        devices_per_person=draft.devices_per_person,
        notice=draft.notice,
    )
    return InviteForm(summary, customer_languages(session, options.language))


def current_form(db: Database, draft_id: str, owner: str, *, offset: int, options: FormOptions) -> InviteForm:
    with db.read() as session:
        return _read(session, drafts.owned_draft(session, draft_id, owner), offset, options)


# Reads the form while the directory is asked; the searches of a few people at once at most.
_readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="invite-form")
EMPTY_SEARCH = "Type a name, an account name or an e-mail address, then press Search."


def search(
    db: Database,
    directory: Directory,
    draft_id: str,
    owner: str,
    *,
    query: SearchQuery,
    now: datetime,
    offset: int,
    options: FormOptions,
) -> InviteForm:
    """Ask the directory, keep its answer with the draft (Add reads it from there), clear the
    notice, and return the form. The rest of the form (the page of invitees, the forecast, the
    languages) does not depend on the answer: it is read on another thread while the directory
    answers, so a person waits for the directory and one short write, not for both one after
    the other."""
    reading = _readers.submit(current_form, db, draft_id, owner, offset=offset, options=options)
    result, problem = None, None
    if not query.text:
        problem = EMPTY_SEARCH
    else:
        try:
            result = directory.search(query.text, query.mode, limit=query.limit)
        except DirectoryError as error:
            problem = str(error)
    form = reading.result()
    with db.transaction() as session:
        draft = drafts.owned_draft(session, draft_id, owner)
        state = drafts.record_search(
            session, draft, text=query.text, mode=query.mode, result=result, problem=problem, now=now
        )
        draft.notice = None
    return InviteForm(replace(form.summary, search=state, notice=None), form.languages)
