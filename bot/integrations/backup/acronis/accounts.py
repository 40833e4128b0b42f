"""Acronis user accounts as deskops sees them: sign-in names, accounts read back, accounts gone.

- Logins: "at least 3 characters long", "ASCII letters, numbers and the following special
  characters: .@_-+:!#$%^*={}'`/?", "trimmed of any whitespace" (developer guide, "Creating a user
  account"). deskops checks this before it asks the platform anything, so the helpdesk gets a
  field error instead of a refused call.
- An account read back: `activated` ("Activation status of the user", default false) and
  `enabled` ("disables or enables user account in the platform", default true), guide "JSON
  object structure of a user account"; the Go sample connector reads the same two flags.
- An account that no longer exists answers 404 ("Status and error codes"): every call on it says
  so in words a helpdesk person can act on.
"""

from __future__ import annotations

import re
from typing import Any

from bot.integrations.backup.acronis.client import AcronisError
from bot.integrations.backup.acronis.roles import Grant, account_role
from bot.integrations.backup.port import PlatformAccount, PlatformBackupState, PlatformError, PlatformUserSpec

LOGIN = re.compile(r"[A-Za-z0-9.@_\-+:!#$%^*={}'`/?]{3,}")
LOGIN_CHARACTERS = "ASCII letters, digits and . @ _ - + : ! # $ % ^ * = { } ' ` / ?"


def login_problem(login: str) -> str | None:
    if len(login) < 3:
        return "An Acronis sign-in name needs at least 3 characters."
    if not LOGIN.fullmatch(login):
        return f"An Acronis sign-in name may hold only {LOGIN_CHARACTERS} (no accents, no spaces)."
    return None


def gone(error: AcronisError, login: str) -> PlatformError:
    """A 404 on the account as a final error that says what happened; anything else unchanged."""
    if error.status != 404:
        return error
    return PlatformError(
        f"the account {login} no longer exists on Acronis (deleted in the management portal?)",
        transient=False,
    )


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def platform_account(
    user: dict[str, Any], grants: list[Grant] | None = None, backup: PlatformBackupState | None = None
) -> PlatformAccount:
    """A `GET /users` object as the port's dataclass (`role` only when its policies were read)."""
    contact = user.get("contact") if isinstance(user.get("contact"), dict) else {}
    assert isinstance(contact, dict)
    address = ", ".join(
        part for part in (_text(contact.get("address1")), _text(contact.get("address2"))) if part
    )
    login = str(user.get("login") or "")
    return PlatformAccount(
        provider_id=str(user["id"]),
        login=login,
        email=_text(contact.get("email")) or login,
        first_name=_text(contact.get("firstname")) or "",
        last_name=_text(contact.get("lastname")) or "",
        activated=user.get("activated") is True,
        enabled=user.get("enabled") is not False,
        role=account_role(grants) if grants is not None else None,
        phone=_text(contact.get("phone")),
        address=address or None,
        backup=backup,
    )


def unfinished(login: str, done: list[str], error: PlatformError) -> PlatformError:
    """'The account x exists on Acronis [with …], but <what failed>' — keeps `transient`."""
    state = f"The account {login} exists on Acronis"
    if done:
        state += " with " + (", ".join(done[:-1]) + " and " + done[-1] if len(done) > 1 else done[0])
    return PlatformError(f"{state}, but {error}", transient=error.transient)


def address_lines(address: str | None) -> tuple[str | None, str | None]:
    if not address:
        return None, None
    lines = [line.strip() for line in address.splitlines() if line.strip()]
    return (lines[0] if lines else None), (", ".join(lines[1:]) or None)


def contact_of(spec: PlatformUserSpec) -> dict[str, Any]:
    """contact.email is "an email address that will be used for account activation and service
    notifications" (guide, "JSON object structure of a user account contact"): the address deskops
    sends the user's mail to (the notification e-mail when there is one)."""
    address1, address2 = address_lines(spec.address)
    return {
        "email": spec.email,
        "firstname": spec.first_name,
        "lastname": spec.last_name,
        "address1": address1,
        "address2": address2,
        "phone": spec.phone,
    }
