"""Edit User: correcting a user's names, e-mails, role, address and phone after creation.

The same checks as Add New User. The platform follows through the outbox (contact details and
role); a platform that keeps its own accounts (Acronis) keeps the sign-in name, so changing the
sign-in e-mail there is refused on the field, with what to do instead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.accounts.forms import Field, NewUser
from bot.accounts.jobs import AccountJob, FollowUp, follow_up_in_thread, refresh_cards
from bot.accounts.queries import email_taken, live_user
from bot.audit.service import record
from bot.customers.scope import CustomerScope
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
