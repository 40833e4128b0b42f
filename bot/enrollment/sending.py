"""Send on the invitation form: checked while the person waits (errors stay under their fields),
then the batch created after Slack has its answer, since thousands of invitations take longer
than Slack waits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.db import Database
from bot.enrollment import drafts
from bot.enrollment.approvals import send_or_request_approval
from bot.enrollment.checks import check_days, check_devices, check_language, check_ready
from bot.enrollment.invite_form import FormRef
from bot.enrollment.models import PlatformChoice
from bot.errors import FieldErrors, InvalidState
from bot.tokens import LinkTokens


@dataclass(frozen=True)
class SendInvitations:
    """The form's sending fields as typed (None: the field was not in the form)."""

    form: FormRef
    days: str | None
    devices: str | None
    platform: str | None
    language: str | None


@dataclass(frozen=True)
class CheckedInvitations:
    form: FormRef
    days: int
    devices_per_person: int
    platform: PlatformChoice
    language: str


SERVER_MISSING = (
    "Invitations need the Access Server's name, which their links fill in: a deskops administrator "
    "sets ENROLLMENT_SERVER (see `deskops doctor`). The list is kept: send it once that is done."
)


def check_invitations(
    db: Database, command: SendInvitations, *, default_language: str, enrollment_server: str | None
) -> CheckedInvitations:
    """The checked values, or FieldErrors naming every field that is wrong (the list too);
    InvalidState while ENROLLMENT_SERVER is unset."""
    if not enrollment_server:
        raise InvalidState(SERVER_MISSING)
    errors: dict[str, str] = {}
    days = devices = 0
    try:
        days = check_days(command.days)
    except FieldErrors as error:
        errors |= error.errors
    try:
        # An older form without the field: one device each.
        devices = check_devices(command.devices or "1")
    except FieldErrors as error:
        errors |= error.errors
    if errors:
        raise FieldErrors(errors)
    platform = PlatformChoice(command.platform or PlatformChoice.BOTH)
    language = check_language(command.language, default=default_language)
    with db.read() as session:
        check_ready(session, drafts.owned_draft(session, command.form.draft_id, command.form.owner))
    return CheckedInvitations(command.form, days, devices, platform, language)


def send_invitations(
    db: Database, checked: CheckedInvitations, *, settings: Settings, tokens: LinkTokens, now: datetime
) -> None:
    """The batch of the form's draft, sent or (large) waiting for an approver; sending the same
    form twice (a double click, a retry) makes one batch."""
    with db.transaction() as session:
        draft = drafts.owned_draft(session, checked.form.draft_id, checked.form.owner)
        draft.language = checked.language
        send_or_request_approval(
            session,
            settings=settings,
            draft=draft,
            days=checked.days,
            platform=checked.platform,
            actor=checked.form.owner,
            now=now,
            tokens=tokens,
            devices_per_person=checked.devices_per_person,
        )
