"""What a person types into the /enroll forms, checked: FieldErrors name the field that is wrong."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.enrollment.drafts import names_without_email
from bot.enrollment.fields import Field
from bot.enrollment.models import DraftInvitee, InviteDraft
from bot.errors import FieldErrors
from bot.i18n.languages import UnknownLanguage, parse_language

DAYS_MIN, DAYS_MAX = 1, 365
# One invitation enrolls one device. Ten covers a phone, a tablet and their replacements; more is
# most likely a typo that multiplies a group's e-mails (1,000 people x 50 is five days of an
# Exchange Online mailbox's 10,000 recipients a day).
DEVICES_MIN, DEVICES_MAX = 1, 10


def check_days(text: str | None) -> int:
    value = (text or "").strip()
    if not value.isascii() or not value.isdigit() or not DAYS_MIN <= int(value) <= DAYS_MAX:
        raise FieldErrors({Field.DAYS: f"Enter a whole number of days from {DAYS_MIN} to {DAYS_MAX}."})
    return int(value)


def check_devices(text: str | None) -> int:
    value = (text or "").strip()
    if not value.isascii() or not value.isdigit() or not DEVICES_MIN <= int(value) <= DEVICES_MAX:
        raise FieldErrors(
            {
                Field.DEVICES: f"Enter a whole number of devices per person from {DEVICES_MIN} to {DEVICES_MAX}."
            }
        )
    return int(value)


def check_language(value: str | None, *, default: str) -> str:
    """The language chosen for a batch (none chosen: `default`, the LANGUAGE setting)."""
    if not value:
        return default
    try:
        return parse_language(value)
    except UnknownLanguage as error:
        raise FieldErrors({Field.LANGUAGE: str(error)}) from None


def check_ready(session: Session, draft: InviteDraft) -> int:
    """The number of invitees, or FieldErrors saying why the list cannot be sent yet."""
    total = session.scalar(select(func.count()).where(DraftInvitee.draft_id == draft.id)) or 0
    if total == 0:
        raise FieldErrors({Field.INVITEES: "Add at least one person or group to invite."})
    missing = names_without_email(session, draft, limit=6)
    if missing:
        count = (
            session.scalar(
                select(func.count()).where(DraftInvitee.draft_id == draft.id, DraftInvitee.email.is_(None))
            )
            or 0
        )
        shown = ", ".join(missing[:5]) + (f" and {count - 5:,} more" if count > 5 else "")
        raise FieldErrors(
            {
                Field.INVITEES: f"{count:,} on the list have no e-mail address ({shown}): "
                "add one with “No email address assigned - click here to edit”, or remove them."
            }
        )
    return int(total)
