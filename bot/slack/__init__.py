"""Slack plumbing shared by listeners and the outbox: Web API client, request de-duplication,
references to posted messages, and who may use the bot."""
