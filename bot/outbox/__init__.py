"""Transactional outbox: side effects (mail, Slack posts, platform calls) written in the same
transaction as the state change and delivered afterwards, with retries, by `OutboxWorker`."""
