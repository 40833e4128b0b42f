"""Small typed values carried through Slack for /enroll."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Carried(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InviteMetadata(_Carried):
    """The Send Enrollment Invitation modal: the server-side draft and the page shown."""

    draft_id: str
    offset: int = 0


class EditEmailMetadata(_Carried):
    draft_id: str
    invitee_id: int
    parent_view_id: str


class InvitationRef(_Carried):
    invitation_id: int


class AnotherDeviceRef(_Carried):
    """Invite another device: the person's invitation it copies (platform, expiry days), and the
    key that makes a double click or a retried click send one invitation."""

    invitation_id: int
    request_key: str


class ExtendMetadata(_Carried):
    invitation_id: int
    channel_id: str | None


class BatchRef(_Carried):
    batch_id: int


class DirectoryRef(_Carried):
    """A search result: a directory user or group id (LDAP DNs can be long; ids stay < 2,000)."""

    id: str


class FoundPersonRef(_Carried):
    """A person in the search results as they were shown, on their Add button (sealed by the
    listener's `seal`): Add needs nothing else, not even the results kept with the draft yet."""

    draft_id: str
    id: str
    display_name: str
    account_name: str
    email: str | None = None


class FoundGroupRef(_Carried):
    """A group in the search results as it was shown, on its Add button (sealed likewise)."""

    draft_id: str
    id: str
    name: str


class InviteeRef(_Carried):
    invitee_id: int


class StatusPageRef(_Carried):
    """A page of /enroll status: the person it is about (if one) and where each list starts."""

    email: str | None = None
    people_offset: int = 0
    invitations_offset: int = 0


class PageRef(_Carried):
    offset: int
