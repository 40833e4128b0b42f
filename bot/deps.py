"""What listeners, pages and jobs are given: built once by `bot.wiring`, injected by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from slack_sdk import WebClient

from bot.approvals.executors import Executors
from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.integrations.backup.port import BackupPlatform
from bot.integrations.calls import IntegrationCalls
from bot.integrations.directory.port import Directory
from bot.integrations.mail.port import Mailer
from bot.mailrelay.pacing import RelayPacer
from bot.slack.access import HelpdeskAccess, SlackPrincipals
from bot.slack.scopes import StaffScopes
from bot.tokens import LinkTokens


@dataclass
class Deps:
    settings: Settings
    db: Database
    clock: Clock
    platform: BackupPlatform
    mailer: Mailer
    # The mail relay's shared limits and pauses (None when mail goes to a folder).
    relay: RelayPacer | None
    slack: WebClient
    helpdesk: HelpdeskAccess
    approvers: SlackPrincipals
    # Which customers each helpdesk person may act on (ACCESS_FILE).
    scopes: StaffScopes
    tokens: LinkTokens
    directory: Directory
    # The held actions approvers can approve, and what each does (registered by bot/wiring.py).
    executors: Executors
    # Where the Acronis and LDAP adapters report each call (the metrics subscribe to it).
    calls: IntegrationCalls = field(default_factory=IntegrationCalls)

    @property
    def activation_valid_for(self) -> timedelta:
        return timedelta(days=self.settings.activation_token_days)

    def notify_channels(self, channel_id: str | None) -> list[str]:
        """Where a confirmation goes: the channel the command was typed in, and the audit channel."""
        channels = [c for c in (channel_id, self.settings.audit_channel) if c]
        return list(dict.fromkeys(channels))
