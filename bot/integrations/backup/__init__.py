"""Backup-platform port: `local` (accounts kept in the bot's database) and, later, `acronis`."""
