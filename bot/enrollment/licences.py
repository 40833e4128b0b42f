"""Licensing: each licensed user may enroll up to 3 devices; every further device counts as an
additional licensed user. Licensed users = Σ over people ceil(devices ÷ 3).

The totals (the daily digest's) come from a running tally, `device_tally`: how many people have
exactly n devices, updated in the transaction that records each device (`count_device`), so
they cost a read of a few rows however many devices there are."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from bot.enrollment.drafts import MAIL_KEY
from bot.enrollment.models import Device, DeviceOwner, DeviceTally, DraftInvitee, Invitation, InviteDraft


def licences_for(devices: int, per_licence: int) -> int:
    return -(-devices // per_licence) if devices > 0 else 0


@dataclass(frozen=True)
class LicenceUsage:
    people: int
    devices: int
    licensed_users: int


def device_counts(session: Session, emails: Iterable[str] | None = None) -> dict[str, int]:
    query = select(Device.owner_email, func.count()).group_by(Device.owner_email)
    if emails is not None:
        keys = sorted({e.lower() for e in emails})
        counts: dict[str, int] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            counts.update(
                {str(k): int(v) for k, v in session.execute(query.where(Device.owner_email.in_(chunk)))}
            )
        return counts
    return {str(k): int(v) for k, v in session.execute(query)}


def _upsert(session: Session, model: type[DeviceOwner] | type[DeviceTally]) -> Any:
    """INSERT … ON CONFLICT for the session's database (PostgreSQL or SQLite)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def count_device(session: Session, owner: str) -> int:
    """Count one more device of `owner` in the tally; how many the owner has now. The owner's
    row is incremented in one statement (row-locked), so racing enrollments of one person each
    see their own count, and the tally rows are updated lowest count first (no deadlock)."""
    owner_row = _upsert(session, DeviceOwner)
    owned = int(
        session.execute(
            owner_row.values(owner_email=owner, devices=1)
            .on_conflict_do_update(
                index_elements=[DeviceOwner.owner_email], set_={"devices": DeviceOwner.devices + 1}
            )
            .returning(DeviceOwner.devices)
        ).scalar_one()
    )
    if owned > 1:
        session.execute(
            update(DeviceTally).where(DeviceTally.devices == owned - 1).values(owners=DeviceTally.owners - 1)
        )
    tally_row = _upsert(session, DeviceTally)
    session.execute(
        tally_row.values(devices=owned, owners=1).on_conflict_do_update(
            index_elements=[DeviceTally.devices], set_={"owners": DeviceTally.owners + 1}
        )
    )
    return owned


def usage(session: Session, *, per_licence: int, email: str | None = None) -> LicenceUsage:
    if email is None:
        tally = [
            (int(n), int(owners))
            for n, owners in session.execute(select(DeviceTally.devices, DeviceTally.owners))
        ]
        return LicenceUsage(
            people=sum(owners for _, owners in tally),
            devices=sum(n * owners for n, owners in tally),
            licensed_users=sum(licences_for(n, per_licence) * owners for n, owners in tally),
        )
    counts = device_counts(session, [email])
    return LicenceUsage(
        people=len(counts),
        devices=sum(counts.values()),
        licensed_users=sum(licences_for(n, per_licence) for n in counts.values()),
    )


def additional_licences(
    current: Mapping[str, int], new_devices: Mapping[str, int], *, per_licence: int
) -> int:
    """How many more licensed users it takes if each person enrolls the new devices too."""
    return sum(
        licences_for(current.get(email, 0) + extra, per_licence)
        - licences_for(current.get(email, 0), per_licence)
        for email, extra in new_devices.items()
    )


def additional_licences_of_batch(session: Session, batch_id: int, *, per_licence: int) -> int:
    """`additional_licences` of a batch's invitations (one new device per invitation), computed by
    the database: the progress card asks every few seconds while thousands of e-mails go out."""
    invited = (
        select(Invitation.email_key.label("email"), func.count().label("devices"))
        .where(Invitation.batch_id == batch_id)
        .group_by(Invitation.email_key)
        .subquery()
    )
    owned = func.coalesce(
        select(func.count()).where(Device.owner_email == invited.c.email).scalar_subquery(), 0
    )
    extra = (owned + invited.c.devices + per_licence - 1) // per_licence - (
        owned + per_licence - 1
    ) // per_licence
    return int(session.scalar(select(func.coalesce(func.sum(extra), 0))) or 0)


@dataclass(frozen=True)
class LicenceForecast:
    invitees: int
    devices_per_person: int
    invitations: int
    additional_licences: int
    devices_per_licence: int


def forecast_query(
    draft_id: ColumnElement[str] | str,
    per_licence: ColumnElement[int] | int,
    devices_per_person: int | None = None,
) -> Select[int, Any]:
    """One row: how many of the draft's invitees have an e-mail address, and how many more
    licensed users it takes if each enrolls `devices_per_person` more devices (None: the draft's
    own number), computed by the database (also inside the query that reads the form).

    The invitee's merge key holds the address lower-cased as the devices' owners are (Python's
    lower-casing, which SQLite's lower() does not do beyond ASCII)."""
    email = func.substr(DraftInvitee.merge_key, len(MAIL_KEY) + 1)
    owned = func.coalesce(select(func.count()).where(Device.owner_email == email).scalar_subquery(), 0)
    new: Any = devices_per_person
    query = select(DraftInvitee.id).where(
        DraftInvitee.draft_id == draft_id, DraftInvitee.merge_key.startswith(MAIL_KEY)
    )
    if devices_per_person is None:
        draft = aliased(InviteDraft)
        new = draft.devices_per_person
        query = query.join(draft, draft.id == DraftInvitee.draft_id)
    extra = (owned + new + per_licence - 1) // per_licence - (owned + per_licence - 1) // per_licence
    return query.with_only_columns(
        func.count().label("invitees"), func.coalesce(func.sum(extra), 0).label("extra")
    )


def forecast_of(invitees: int, extra: int, devices_per_person: int, per_licence: int) -> LicenceForecast:
    return LicenceForecast(
        invitees=invitees,
        devices_per_person=devices_per_person,
        invitations=invitees * devices_per_person,
        additional_licences=extra,
        devices_per_licence=per_licence,
    )


def forecast(
    session: Session, draft: InviteDraft, devices_per_person: int, *, per_licence: int
) -> LicenceForecast:
    """What a batch would consume if every invitee enrolled a device with every invitation (one
    device each): per person, ceil((devices owned + new) / 3) - ceil(devices owned / 3)."""
    invitees, extra = session.execute(forecast_query(draft.id, per_licence, devices_per_person)).one()
    return forecast_of(int(invitees), int(extra), devices_per_person, per_licence)
