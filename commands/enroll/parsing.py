"""`/enroll` command text."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from commands.backup.parsing import MAX_TEXT, UsageError
from commands.state import control_character, unlink


class Subcommand(StrEnum):
    INVITE = "invite"
    URL = "url"
    STATUS = "status"
    HELP = "help"


@dataclass(frozen=True)
class EnrollCommand:
    subcommand: Subcommand
    email: str | None = None


def parse_enroll_command(text: str) -> EnrollCommand:
    text = unlink(text or "").strip()
    if len(text) > MAX_TEXT:
        raise UsageError(f"That is {len(text)} characters; an /enroll command is at most {MAX_TEXT}.")
    control = control_character(text)
    if control is not None:
        raise UsageError(f"The command text holds a control character ({control}); type it again without it.")
    if not text:
        return EnrollCommand(Subcommand.HELP)
    word, _, rest = text.partition(" ")
    try:
        subcommand = Subcommand(word.lower())
    except ValueError:
        raise UsageError(f"`{word[:40]}` is not an /enroll command.") from None
    rest = rest.strip()
    if subcommand is Subcommand.STATUS and rest:
        if "@" not in rest or " " in rest:
            raise UsageError(f"`{rest[:80]}` is not an e-mail address: `/enroll status [email]`.")
        return EnrollCommand(subcommand, email=rest)
    if rest:
        raise UsageError(f"`/enroll {subcommand}` takes nothing after it.")
    return EnrollCommand(subcommand)
