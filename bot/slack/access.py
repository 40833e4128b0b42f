"""Who may use the helpdesk commands: HELPDESK_USERS, as user ids or user-group ids."""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


class SlackPrincipals:
    """A set of Slack users given as user ids (U…) and user-group ids (S…), with group
    membership looked up through `usergroups.users.list` and cached for a few minutes."""

    def __init__(self, principals: list[str], client: WebClient, *, cache_seconds: float = 300.0) -> None:
        self.users = {p for p in principals if p.startswith("U")}
        self.groups = [p for p in principals if p.startswith("S")]
        self.client = client
        self.cache_seconds = cache_seconds
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()
        # One fetch per group at a time: a burst of requests waits for it instead of each
        # asking Slack (which would also run into rate limits).
        self._fetching: dict[str, threading.Lock] = {}

    @property
    def is_empty(self) -> bool:
        return not self.users and not self.groups

    def _cached(self, group_id: str) -> frozenset[str] | None:
        with self._lock:
            cached = self._members.get(group_id)
        if cached is not None and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        return None

    def _group_members(self, group_id: str) -> frozenset[str]:
        members = self._cached(group_id)
        if members is not None:
            return members
        with self._lock:
            fetching = self._fetching.setdefault(group_id, threading.Lock())
        with fetching:
            members = self._cached(group_id)
            return members if members is not None else self._fetch(group_id)

    def _fetch(self, group_id: str) -> frozenset[str]:
        now = time.monotonic()
        try:
            response = self.client.usergroups_users_list(usergroup=group_id)
            members = frozenset(response.get("users") or [])
        except SlackApiError as error:
            log.warning("could not read members of user group %s: %s", group_id, error.response.get("error"))
            with self._lock:
                stale = self._members.get(group_id)
            return stale[1] if stale else frozenset()
        with self._lock:
            self._members[group_id] = (now, members)
        return members

    def contains(self, user_id: str) -> bool:
        if user_id in self.users:
            return True
        return any(user_id in self._group_members(group) for group in self.groups)


class HelpdeskAccess:
    """HELPDESK_USERS; unset means everyone (a warning is logged at start-up)."""

    def __init__(self, principals: SlackPrincipals) -> None:
        self.principals = principals

    @property
    def open_to_everyone(self) -> bool:
        return self.principals.is_empty

    def allows(self, user_id: str | None) -> bool:
        if user_id is None:
            return False
        return self.open_to_everyone or self.principals.contains(user_id)


def is_approver(approvers: SlackPrincipals, user_id: str | None) -> bool:
    """APPROVERS may decide; with APPROVERS unset nobody may (deskops refuses to start that way
    while APPROVALS_CHANNEL is set)."""
    return user_id is not None and not approvers.is_empty and approvers.contains(user_id)
