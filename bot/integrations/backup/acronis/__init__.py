"""The Acronis Cyber Protect Cloud backup platform (BACKUP_PROVIDER=acronis)."""

from bot.integrations.backup.acronis.client import AcronisClient, AcronisError, OutcomeUnknown, RetryPolicy
from bot.integrations.backup.acronis.platform import AcronisBackupPlatform

__all__ = ["AcronisBackupPlatform", "AcronisClient", "AcronisError", "OutcomeUnknown", "RetryPolicy"]
