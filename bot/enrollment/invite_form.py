"""What the Send Enrollment Invitation modal shows, read in one unit of work: the draft's search,
its page of invitees, the licence forecast and the customers' languages.

A Search click records the search and reads the form back in the same transaction: a person is
waiting for the modal, and each unit of work costs a pooled connection and its round trips."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.customers.service import CustomerLanguages, customer_languages
from bot.db import Database
from bot.enrollment import drafts
from bot.enrollment.batches import forecast
from bot.enrollment.models import InviteDraft
from bot.enrollment.summary import DraftSummary, summarize_draft
from bot.integrations.directory.port import MatchMode, SearchResult


@dataclass(frozen=True)
class FormOptions:
    page_size: int
    devices_per_licence: int
    language: str  # deskops' default language (LANGUAGE)


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


def record_search(
    db: Database,
    draft_id: str,
    owner: str,
    *,
    text: str,
    mode: MatchMode,
    result: SearchResult | None,
    problem: str | None,
    now: datetime,
    offset: int,
    options: FormOptions,
) -> InviteForm:
    """Keep what the directory answered with the draft (Add reads it from there), clear the
    notice, and return the form as it is now."""
    with db.transaction() as session:
        draft = drafts.owned_draft(session, draft_id, owner)
        drafts.record_search(session, draft, text=text, mode=mode, result=result, problem=problem, now=now)
        draft.notice = None
        return _read(session, draft, offset, options)
