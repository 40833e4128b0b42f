"""Backup accounts: users, their Backup service assignment and activation."""
