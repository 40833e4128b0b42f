"""HTTP: the Slack endpoint, health, metrics, and the pages end users open from e-mails."""
