"""The Send Enrollment Invitation form: each change a person makes (search, add, remove, choose)
in its own unit of work, answered with what the form shows next.

A change is made and the form read back in the same transaction: a person is waiting for the
modal, and each unit of work costs a pooled connection and its round trips. Search is
bot/enrollment/invite_search.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from bot.customers.service import CustomerLanguages, customer_languages
from bot.db import Database
from bot.enrollment import drafts
from bot.enrollment.checks import check_devices
from bot.enrollment.draft_reads import Claim, read_draft_page
from bot.enrollment.models import InviteDraft, PlatformChoice
from bot.enrollment.summary import DraftSummary, InviteeItem, invitee_item
from bot.errors import FieldErrors
from bot.integrations.directory.port import DirectoryUser

PAGE_SIZE = 20
NOTICE_MAX = 500


@dataclass(frozen=True)
class FormSettings:
    """What the form reads from the configuration."""

    default_language: str
    devices_per_licence: int


@dataclass(frozen=True)
class FormRef:
    """One person's form (its draft), at the page of invitees they look at."""

    draft_id: str
    owner: str
    offset: int = 0


@dataclass(frozen=True)
class InviteForm:
    """What the modal shows."""

    draft_id: str
    summary: DraftSummary
    languages: CustomerLanguages


@dataclass(frozen=True)
class AddPerson:
    form: FormRef
    directory_id: str
    # The person as the results showed them (carried by the Add button, sealed): Add then does
    # not need the results to be kept with the draft yet. None: look them up there.
    person: drafts.FoundUser | None = None


@dataclass(frozen=True)
class Remove:
    form: FormRef
    # None: everyone on the list.
    invitee_id: int | None


@dataclass(frozen=True)
class SaveEmail:
    form: FormRef
    invitee_id: int
    email: str


def read_form(session: Session, draft: InviteDraft, offset: int, settings: FormSettings) -> InviteForm:
    """The form after a change made to `draft` in this session."""
    session.flush()
    return read_owned_form(session.connection(), FormRef(draft.id, draft.owner, offset), settings)


def read_owned_form(
    connection: Connection, form: FormRef, settings: FormSettings, *, claim: Claim | None = None
) -> InviteForm:
    """The form as it is (NotFound, NotAllowed: not this person's draft); `claim`: see
    read_draft_page."""
    read = read_draft_page(
        connection,
        form.draft_id,
        offset=form.offset,
        limit=PAGE_SIZE,
        per_licence=settings.devices_per_licence,
        claim=claim,
    )
    if read is None:
        raise drafts.expired()
    draft = read.draft
    drafts.check_owner(draft.owner, form.owner)
    summary = DraftSummary(
        search=drafts.search_state_of(draft.search),
        invitees=list(read.invitees),
        total=read.total,
        without_email=read.without_email,
        offset=read.offset,
        page_size=read.limit,
        forecast=read.forecast,
        platform=draft.platform,
        devices_per_person=draft.devices_per_person,
        notice=draft.notice,
    )
    return InviteForm(draft.id, summary, customer_languages(connection, settings.default_language))


def note(draft: InviteDraft, notice: str | None) -> None:
    """What the form says at the top of its list after a change (None: nothing)."""
    draft.notice = notice[:NOTICE_MAX] if notice else None


def start_form(
    db: Database, *, owner: str, channel_id: str | None, now: datetime, settings: FormSettings
) -> InviteForm:
    with db.transaction() as session:
        draft = drafts.start_draft(session, owner=owner, channel_id=channel_id, now=now)
        session.flush()
        return read_form(session, draft, 0, settings)


def show_form(db: Database, form: FormRef, *, settings: FormSettings) -> InviteForm:
    with db.read() as session:
        return read_owned_form(session.connection(), form, settings)


def add_person(db: Database, command: AddPerson, *, now: datetime, settings: FormSettings) -> InviteForm:
    """A person from the search results joins the list (once, however often Add is clicked)."""
    with db.transaction() as session:
        draft = drafts.owned_draft(session, command.form.draft_id, command.form.owner)
        found = command.person or drafts.found_user(draft, command.directory_id)
        person = DirectoryUser(
            id=found.id,
            account_name=found.account_name,
            display_name=found.display_name,
            first_name=None,
            last_name=None,
            email=found.email,
        )
        added = drafts.add_invitees(session, draft, [person], source=None, now=now)
        name = found.display_name
        note(draft, f"Added {name}." if added.added else f"{name} is already on the list.")
        return read_form(session, draft, command.form.offset, settings)


def remove(db: Database, command: Remove, *, now: datetime, settings: FormSettings) -> InviteForm:
    with db.transaction() as session:
        draft = drafts.owned_draft(session, command.form.draft_id, command.form.owner)
        if command.invitee_id is None:
            drafts.remove_all(session, draft, now=now)
            note(draft, "Everyone was removed from the list.")
            return read_form(session, draft, 0, settings)
        person = drafts.invitee(session, draft, command.invitee_id)
        note(draft, f"Removed {person.display_name}.")
        drafts.remove_invitee(session, draft, person.id, now=now)
        return read_form(session, draft, command.form.offset, settings)


def choose_platform(
    db: Database, form: FormRef, platform: PlatformChoice, *, settings: FormSettings
) -> InviteForm:
    with db.transaction() as session:
        draft = drafts.owned_draft(session, form.draft_id, form.owner)
        draft.platform = platform
        return read_form(session, draft, form.offset, settings)


def choose_devices(
    db: Database, form: FormRef, typed: str | None, *, settings: FormSettings
) -> InviteForm | None:
    """Devices per person as typed, kept for the forecast; None when there is nothing new to show
    (unchanged, or out of bounds: Send refuses that under the field)."""
    try:
        devices = check_devices(typed)
    except FieldErrors:
        return None
    with db.transaction() as session:
        draft = drafts.owned_draft(session, form.draft_id, form.owner)
        if draft.devices_per_person == devices:
            return None
        draft.devices_per_person = devices
        return read_form(session, draft, form.offset, settings)


def invitee_to_edit(db: Database, form: FormRef, invitee_id: int) -> InviteeItem:
    with db.read() as session:
        draft = drafts.owned_draft(session, form.draft_id, form.owner)
        return invitee_item(drafts.invitee(session, draft, invitee_id))


def save_email(db: Database, command: SaveEmail, *, now: datetime, settings: FormSettings) -> InviteForm:
    """An address for an invitee the directory has none for (FieldErrors under `email`)."""
    with db.transaction() as session:
        draft = drafts.owned_draft(session, command.form.draft_id, command.form.owner)
        drafts.set_invitee_email(session, draft, command.invitee_id, command.email, now=now)
        note(draft, "E-mail address saved.")
        return read_form(session, draft, command.form.offset, settings)
