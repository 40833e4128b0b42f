"""Reminders in HELPDESK_CHANNEL: invitations about to expire, users still pending activation."""
