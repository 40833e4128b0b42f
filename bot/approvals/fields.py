"""The field of the Reject form, as the approvals service names it in FieldErrors; the modal
uses the name as its input block's id, so the error lands under it."""

from __future__ import annotations

from enum import StrEnum

REASON_MAX = 500


class Field(StrEnum):
    REASON = "reason"
