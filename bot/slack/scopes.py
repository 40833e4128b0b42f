"""The Slack side of ACCESS_FILE: a person's customer scope from their user id and user groups."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.access_file import AccessFile
from bot.customers.scope import EVERY_CUSTOMER, CustomerScope
from bot.slack.access import SlackPrincipals


class StaffScopes:
    """Turns a Slack user id into the CustomerScope of that person."""

    def __init__(self, access: AccessFile | None, client: WebClient) -> None:
        self._entries: list[tuple[SlackPrincipals, list[str] | None]] = []
        if access is None:
            return
        for entry in access.scopes:
            names = None if entry.customers == "all" else list(entry.customers)
            self._entries.append((SlackPrincipals(entry.who, client), names))

    @property
    def configured(self) -> bool:
        return bool(self._entries)

    def scope_for(self, user_id: str | None) -> CustomerScope:
        if not self._entries:
            return EVERY_CUSTOMER
        names: set[str] = set()
        if user_id is None:
            return CustomerScope.of(names)
        for principals, customers in self._entries:
            if principals.contains(user_id):
                if customers is None:
                    return EVERY_CUSTOMER
                names.update(customers)
        return CustomerScope.of(names)
