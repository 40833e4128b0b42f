"""Choosing the backup platform from BACKUP_PROVIDER."""

from __future__ import annotations

from bot.config import BackupProviderName, Settings
from bot.integrations.backup.local import LocalBackupPlatform
from bot.integrations.backup.port import BackupPlatform
from bot.integrations.calls import IntegrationCalls


def build_platform(settings: Settings, *, calls: IntegrationCalls | None = None) -> BackupPlatform:
    """The platform BACKUP_PROVIDER names; with `calls`, every Acronis API call is reported there."""
    if settings.backup_provider is BackupProviderName.ACRONIS:
        from bot.integrations.backup.acronis import AcronisBackupPlatform

        return AcronisBackupPlatform.from_settings(settings, calls=calls)
    return LocalBackupPlatform()
