"""Domain errors. Services raise these; one error handler per entry point turns them into
what the person sees (field errors in a modal, an ephemeral message, an HTML page)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    """An error whose text is meant for the person who asked."""


class FieldErrors(DomainError):
    """Input that cannot be accepted, by field name (the modal keeps what was typed)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = dict(errors)


class NotFound(DomainError):
    """Nothing matches what was typed; `suggestions` are close matches to offer."""

    def __init__(self, message: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.suggestions = list(suggestions)


class Ambiguous(DomainError):
    def __init__(self, message: str, candidates: Sequence[str]) -> None:
        super().__init__(message)
        self.candidates = list(candidates)


class NotAllowed(DomainError):
    """The person may not do this (or not now)."""


class InvalidState(DomainError):
    """The thing exists but is not in a state that allows this action."""
