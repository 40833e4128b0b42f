"""deskops: a Slack chat-ops bot for an MSP helpdesk (Acronis backup and mobile access)."""
