"""`/backup` command text."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from commands.state import control_character, unlink

MAX_TEXT = 500


class Subcommand(StrEnum):
    ADD = "add"
    ASSIGN = "assign"
    SETTINGS = "settings"
    ACTIVATE = "activate"
    USERS = "users"
    FIND = "find"
    DISABLE = "disable"
    ENABLE = "enable"
    DELETE = "delete"
    EDIT = "edit"
    RESET = "reset"
    IMPORT = "import"
    EXPORT = "export"
    HELP = "help"


NEEDS_EMAIL = {
    Subcommand.ASSIGN,
    Subcommand.SETTINGS,
    Subcommand.ACTIVATE,
    Subcommand.DISABLE,
    Subcommand.ENABLE,
    Subcommand.DELETE,
    Subcommand.EDIT,
    Subcommand.RESET,
}


@dataclass(frozen=True)
class BackupCommand:
    subcommand: Subcommand
    email: str | None = None
    customer: str | None = None
    # What to look for (/backup find).
    text: str | None = None


class UsageError(ValueError):
    """The text does not form a /backup command; the message says what to type."""


def parse_backup_command(text: str) -> BackupCommand:
    text = unlink(text or "").strip()
    if len(text) > MAX_TEXT:
        raise UsageError(f"That is {len(text)} characters; a /backup command is at most {MAX_TEXT}.")
    control = control_character(text)
    if control is not None:
        raise UsageError(f"The command text holds a control character ({control}); type it again without it.")
    if not text:
        return BackupCommand(Subcommand.HELP)
    word, _, rest = text.partition(" ")
    try:
        subcommand = Subcommand(word.lower())
    except ValueError:
        raise UsageError(f"`{word[:40]}` is not a /backup command.") from None
    rest = rest.strip()
    if subcommand is Subcommand.FIND:
        if not rest:
            raise UsageError("Type part of a name or e-mail: `/backup find <text>`.")
        return BackupCommand(subcommand, text=rest)
    if subcommand in NEEDS_EMAIL:
        email, _, customer = rest.partition(" ")
        if not email:
            raise UsageError(f"Type the user's e-mail address: `/backup {subcommand} <email> [customer]`.")
        if "@" not in email:
            raise UsageError(
                f"`{email[:80]}` is not an e-mail address: `/backup {subcommand} <email> [customer]`."
            )
        return BackupCommand(subcommand, email=email, customer=customer.strip() or None)
    return BackupCommand(subcommand, customer=rest or None)
