"""Adding a directory group's members to the invitation form.

Members are read page by page and added in chunks, each its own transaction, so a
10,000-member group never holds the database for long, and the directory is never read inside
a transaction. The form says what is happening before the members are read, and how it went."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.db import Database
from bot.enrollment import drafts
from bot.enrollment.invite_form import FormRef, FormSettings, InviteForm, note, read_form
from bot.integrations.directory.port import Directory, DirectoryError


@dataclass(frozen=True)
class AddGroup:
    form: FormRef
    group_id: str
    # The group as the results showed it (carried by the Add button, sealed); None: look it up
    # in the results kept with the draft.
    group: drafts.FoundGroup | None = None


def _noted(db: Database, form: FormRef, notice: str, settings: FormSettings) -> InviteForm:
    with db.transaction() as session:
        draft = drafts.owned_draft(session, form.draft_id, form.owner)
        note(draft, notice)
        return read_form(session, draft, form.offset, settings)


def add_group(
    db: Database,
    directory: Directory,
    command: AddGroup,
    *,
    now: datetime,
    settings: FormSettings,
    show: Callable[[InviteForm], None],
) -> InviteForm:
    """`show` is handed the form saying the members are being added (before they are read);
    the form returned says how many were added, or what stopped the directory."""
    form = command.form
    with db.transaction() as session:
        draft = drafts.owned_draft(session, form.draft_id, form.owner)
        group = command.group or drafts.found_group(draft, command.group_id)
        note(draft, f"Adding the members of {group.name}…")
        adding = read_form(session, draft, form.offset, settings)
    show(adding)
    added = already = 0
    try:
        for chunk in drafts.chunked(directory.expand_group(group.id), drafts.CHUNK):
            with db.transaction() as session:
                draft = drafts.owned_draft(session, form.draft_id, form.owner)
                result = drafts.add_invitees(session, draft, chunk, source=group.name, now=now)
            added, already = added + result.added, already + result.already_listed
        notice = f"Added {added:,} members of {group.name}" + (
            f" ({already:,} were already on the list)." if already else "."
        )
    except DirectoryError as error:
        notice = f"Could not read all members of {group.name}: {error} ({added:,} added so far)."
    return _noted(db, form, notice, settings)
