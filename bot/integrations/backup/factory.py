"""Choosing the backup platform from BACKUP_PROVIDER."""

from __future__ import annotations

from bot.config import BackupProviderName, Settings
from bot.integrations.backup.local import LocalBackupPlatform
from bot.integrations.backup.port import BackupPlatform


def build_platform(settings: Settings) -> BackupPlatform:
    if settings.backup_provider is BackupProviderName.LOCAL:
        return LocalBackupPlatform()
    raise NotImplementedError("BACKUP_PROVIDER=acronis is not available in this version")
