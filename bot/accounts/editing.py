"""Edit User: correcting a user's names, e-mails, role, address and phone after creation.

The same checks as Add New User. The platform follows through the outbox (contact details and
role); a platform that keeps its own accounts (Acronis) keeps the sign-in name, so changing the
sign-in e-mail there is refused on the field, with what to do instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from bot.accounts.actions import UserAction
from bot.accounts.forms import Field, NewUser, NewUserForm, check_new_user
from bot.accounts.jobs import AccountJob, FollowUp, follow_up_in_thread, refresh_cards
from bot.accounts.queries import email_taken, get_user, live_user
from bot.audit.service import record
from bot.customers.scope import CustomerScope
from bot.db import Database
from bot.errors import FieldErrors
from bot.outbox.service import enqueue

EDITABLE = ("first_name", "last_name", "email", "role", "address", "phone", "notification_email")


def edit_user(
    session: Session,
    *,
    user_id: int,
    edited: NewUser,
    actor: str,
    now: datetime,
    scope: CustomerScope,
    platform_keeps_logins: bool,
) -> list[str]:
    """Apply the checked form; returns the names of the fields that changed (none: nothing done)."""
    user = live_user(session, user_id, scope)
    if edited.email.lower() != user.email.lower():
        if platform_keeps_logins and user.provider_id is not None:
            raise FieldErrors(
                {
                    Field.EMAIL: "The backup platform keeps the sign-in name: the user signs in as "
                    f"{user.email}. Change the notification e-mail instead, or delete and add the user."
                }
            )
        if email_taken(session, user.customer_id, edited.email):
            raise FieldErrors(
                {Field.EMAIL: f"A user with this email already exists for {user.customer.name}."}
            )
    changed = [name for name in EDITABLE if getattr(edited, name) != getattr(user, name)]
    if not changed:
        return []
    for name in changed:
        setattr(user, name, getattr(edited, name))
    user.email_key = user.email.lower()
    event = record(
        session,
        actor=actor,
        action="user.edited",
        target=user.email,
        now=now,
        customer_id=user.customer_id,
        details={"user_id": user.id, "changed": changed},
    )
    session.flush()
    change_key = f"edited:{event.id}"
    enqueue(
        session, kind=AccountJob.UPDATE_ACCOUNT, payload={"user_id": user.id}, now=now, dedupe_key=change_key
    )
    follow_up_in_thread(session, user.id, change=FollowUp.EDITED, actor=actor, now=now, change_key=change_key)
    refresh_cards(session, user.id, now=now)
    return changed


@dataclass(frozen=True)
class EditUser:
    """The Edit User modal, submitted; the form's customer is the user's own (filled in here)."""

    action: UserAction
    form: NewUserForm


def save_edited_user(
    db: Database, command: EditUser, *, now: datetime, phone_region: str, platform_keeps_logins: bool
) -> list[str]:
    """Check the form as Add New User does and apply it, in one transaction; returns the names of
    the fields that changed."""
    action = command.action
    with db.transaction() as session:
        customer_id = get_user(session, action.user_id).customer_id
        edited = check_new_user(replace(command.form, customer_id=customer_id), phone_region=phone_region)
        return edit_user(
            session,
            user_id=action.user_id,
            edited=edited,
            actor=action.actor,
            now=now,
            scope=action.scope,
            platform_keeps_logins=platform_keeps_logins,
        )
