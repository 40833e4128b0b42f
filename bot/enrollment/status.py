"""`/enroll status`: invitations, devices and, per person, devices enrolled, invitations open and
licences used (the Access Server's rule: up to DEVICES_PER_LICENCE devices per licensed user)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db import Database
from bot.enrollment.devices import USABLE, devices_of
from bot.enrollment.invitations import invitations_of
from bot.enrollment.licences import device_counts, licences_for, usage
from bot.enrollment.models import Invitation
from bot.enrollment.summary import Listed, PersonItem, StatusSummary, status_summary

PEOPLE_PAGE_SIZE = 10
INVITATIONS_PAGE_SIZE = 12


@dataclass(frozen=True)
class StatusPage:
    """Where each of the answer's two lists starts: people, and invitations."""

    people_offset: int = 0
    invitations_offset: int = 0


FIRST_PAGE = StatusPage()


def people_status(
    session: Session,
    *,
    email: str | None,
    per_licence: int,
    now: datetime,
    offset: int = 0,
    limit: int = PEOPLE_PAGE_SIZE,
) -> list[PersonItem]:
    """The people by their most recent invitation, newest first (or the one named), with their figures."""
    latest = (
        select(Invitation.email_key, func.max(Invitation.id).label("latest"))
        .group_by(Invitation.email_key)
        .order_by(func.max(Invitation.id).desc())
        .offset(offset)
        .limit(limit)
    )
    if email:
        latest = latest.where(Invitation.email_key == email.strip().lower())
    rows = session.execute(latest).all()
    if not rows:
        return []
    keys = [str(key) for key, _ in rows]
    open_counts = dict(
        session.execute(
            select(Invitation.email_key, func.count())
            .where(Invitation.email_key.in_(keys), Invitation.state.in_(USABLE), Invitation.expires_at > now)
            .group_by(Invitation.email_key)
        ).all()
    )
    devices = device_counts(session, keys)
    invitations = {
        i.id: i for i in session.scalars(select(Invitation).where(Invitation.id.in_([i for _, i in rows])))
    }
    people = []
    for key, latest_id in rows:
        invitation = invitations[int(latest_id)]
        owned = devices.get(str(key), 0)
        people.append(
            PersonItem(
                email=invitation.email,
                display_name=invitation.display_name,
                devices=owned,
                open_invitations=int(open_counts.get(key, 0)),
                licences=licences_for(owned, per_licence),
                latest_invitation_id=invitation.id,
            )
        )
    return people


def _totals(session: Session, email: str | None) -> tuple[int, int]:
    """How many people have invitations, and how many invitations there are."""
    people = select(func.count(func.distinct(Invitation.email_key)))
    invitations = select(func.count()).select_from(Invitation)
    if email:
        people = people.where(Invitation.email_key == email.strip().lower())
        invitations = invitations.where(Invitation.email_key == email.strip().lower())
    return int(session.scalar(people) or 0), int(session.scalar(invitations) or 0)


def enrollment_status(
    db: Database, *, email: str | None, per_licence: int, now: datetime, page: StatusPage = FIRST_PAGE
) -> StatusSummary:
    people_offset, invitations_offset = max(page.people_offset, 0), max(page.invitations_offset, 0)
    with db.read() as session:
        invitations = invitations_of(
            session, email=email, limit=INVITATIONS_PAGE_SIZE, offset=invitations_offset
        )
        devices = devices_of(session, email) if email else []
        licences = usage(session, per_licence=per_licence, email=email)
        people_total, invitations_total = _totals(session, email)
        return status_summary(
            email=email,
            invitations=invitations,
            devices=devices,
            people=licences.people,
            device_total=licences.devices,
            licensed_users=licences.licensed_users,
            devices_per_licence=per_licence,
            per_person=people_status(
                session, email=email, per_licence=per_licence, now=now, offset=people_offset
            ),
            people_listed=Listed(people_offset, PEOPLE_PAGE_SIZE, people_total),
            invitations_listed=Listed(invitations_offset, INVITATIONS_PAGE_SIZE, invitations_total),
        )
