"""Small typed values carried through Slack: private_metadata of views, values of buttons."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Carried(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddUserMetadata(_Carried):
    request_key: str
    channel_id: str | None
    # Set when the customer is fixed (named in the command, or the only one); else chosen in the modal.
    customer_id: int | None


class UserSettingsMetadata(_Carried):
    user_id: int
    channel_id: str | None


class UserRef(_Carried):
    user_id: int


class UsersPageRef(_Carried):
    customer_id: int
    offset: int


class FindPageRef(_Carried):
    text: str
    offset: int


class DeleteUserMetadata(_Carried):
    user_id: int
    channel_id: str | None
    # The modal's idempotency key: a double-clicked Delete asks for approval once.
    request_key: str
