"""Licensing: each licensed user may enroll up to 3 devices; every further device counts as an
additional licensed user. Licensed users = Σ over people ceil(devices ÷ 3)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.enrollment.models import Device, Invitation


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


def usage(session: Session, *, per_licence: int, email: str | None = None) -> LicenceUsage:
    counts = device_counts(session, [email] if email else None)
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
