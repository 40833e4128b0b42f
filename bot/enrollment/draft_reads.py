"""What the Send Enrollment Invitation form shows of its draft, read in one query: the draft, a
page of its invitees with their counts, and the licence forecast.

A person waits for this read after every change (and for a Search, alongside the directory): on
a busy database server each round trip is a wait of its own, and on a busy process so is each
millisecond of Python. So it is one statement, built once, read as plain rows (no ORM objects)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, Select, String, bindparam, exists, func, select, true

from bot.enrollment.licences import LicenceForecast, forecast_of, forecast_query
from bot.enrollment.models import DraftInvitee, InviteDraft, PlatformChoice
from bot.enrollment.summary import InviteeItem
from bot.request_keys import AlreadyClaimed, RequestKey, claim_cte

_DRAFT_ID = bindparam("draft_id", type_=String)


@dataclass(frozen=True)
class FormDraft:
    id: str
    owner: str
    platform: PlatformChoice
    search: dict[str, Any]
    notice: str | None
    devices_per_person: int


@dataclass(frozen=True)
class DraftPage:
    draft: FormDraft
    invitees: Sequence[InviteeItem]
    total: int
    without_email: int
    offset: int
    limit: int
    forecast: LicenceForecast


def _statement() -> Select[Any]:
    invitee = DraftInvitee.__table__.c
    listed = (
        select(
            invitee.id,
            invitee.display_name,
            invitee.email,
            invitee.source,
            func.count().over().label("total"),
            func.count(invitee.email).over().label("with_email"),
        )
        .where(invitee.draft_id == _DRAFT_ID)
        .order_by(invitee.id)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
        .subquery()
    )
    forecast = forecast_query(_DRAFT_ID, bindparam("per_licence", type_=Integer)).subquery()
    draft = InviteDraft.__table__.c
    return (
        select(
            draft.id,
            draft.owner,
            draft.platform,
            draft.search,
            draft.notice,
            draft.devices_per_person,
            listed.c.id.label("invitee_id"),
            listed.c.display_name,
            listed.c.email,
            listed.c.source,
            listed.c.total,
            listed.c.with_email,
            forecast.c.invitees,
            forecast.c.extra,
        )
        .select_from(InviteDraft.__table__)
        .outerjoin(listed, true())
        .join(forecast, true())
        .where(draft.id == _DRAFT_ID)
        .order_by(listed.c.id)
    )


def _claiming(read: Select[Any]) -> Select[Any]:
    """`read` that also claims a request key (bot.request_keys.claim_cte), only when the draft
    is its owner's: a refused read claims nothing."""
    draft = InviteDraft.__table__.c
    owned = exists().where(draft.id == _DRAFT_ID, draft.owner == bindparam("owner", type_=String))
    keys = RequestKey.__table__.c
    claimed = claim_cte(
        bindparam("key", type_=keys.key.type), bindparam("claimed_at", type_=keys.created_at.type), when=owned
    )
    return read.add_columns(select(func.count()).select_from(claimed).scalar_subquery().label("claimed"))


_READ = _statement()
_CLAIMING_READ = _claiming(_READ)


@dataclass(frozen=True)
class Claim:
    """A request key to claim with the read (PostgreSQL), for `owner`'s draft only."""

    key: str
    owner: str
    now: datetime


def read_draft_page(
    connection: Connection,
    draft_id: str,
    *,
    offset: int,
    limit: int,
    per_licence: int,
    claim: Claim | None = None,
) -> DraftPage | None:
    """None when there is no such draft. The counts ride on the page's rows (window counts); a
    page past the end (people removed) is read again at the last page that has anyone.
    `claim` (PostgreSQL): AlreadyClaimed when the draft is its owner's and the key was claimed
    before."""
    offset = max(offset, 0)
    parameters: dict[str, Any] = {
        "draft_id": draft_id,
        "offset": offset,
        "limit": limit,
        "per_licence": per_licence,
    }
    if claim is not None:
        parameters.update(key=claim.key, owner=claim.owner, claimed_at=claim.now)
    rows = connection.execute(_READ if claim is None else _CLAIMING_READ, parameters).all()
    if not rows:
        return None
    first = rows[0]
    if claim is not None and first.owner == claim.owner and not first.claimed:
        raise AlreadyClaimed(claim.key)
    draft = FormDraft(
        id=first.id,
        owner=first.owner,
        platform=first.platform,
        search=first.search or {},
        notice=first.notice,
        devices_per_person=first.devices_per_person,
    )
    forecast = forecast_of(int(first.invitees), int(first.extra), draft.devices_per_person, per_licence)
    if first.total is None:  # no one at this offset
        if offset == 0:
            return DraftPage(draft, [], 0, 0, 0, limit, forecast)
        total = int(connection.scalar(select(func.count()).where(DraftInvitee.draft_id == draft_id)) or 0)
        last = max(total - 1, 0) // limit * limit
        return read_draft_page(
            connection, draft_id, offset=min(offset, last), limit=limit, per_licence=per_licence
        )
    people = [InviteeItem(row.invitee_id, row.display_name, row.email, row.source) for row in rows]
    total, with_email = int(first.total), int(first.with_email)
    return DraftPage(draft, people, total, total - with_email, offset, limit, forecast)
