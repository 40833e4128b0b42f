"""Choosing the backup platform from BACKUP_PROVIDER."""

from __future__ import annotations

from bot.config import BackupProviderName, Settings
from bot.integrations.backup.local import LocalBackupPlatform
from bot.integrations.backup.port import BackupPlatform


def build_platform(settings: Settings) -> BackupPlatform:
    if settings.backup_provider is BackupProviderName.ACRONIS:
        from bot.integrations.backup.acronis import AcronisBackupPlatform

        return AcronisBackupPlatform.from_settings(settings)
    return LocalBackupPlatform()
