"""The fields of the /enroll forms, as the services name them in FieldErrors. The modals use
these names as their input blocks' ids, so an error lands under the field it is about."""

from __future__ import annotations

from enum import StrEnum


class Field(StrEnum):
    INVITEES = "invitees"
    DAYS = "days"
    DEVICES = "devices"
    PLATFORM = "platform"
    LANGUAGE = "language"
    EMAIL = "email"
