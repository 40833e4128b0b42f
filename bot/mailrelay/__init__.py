"""Mail at real relays: SMTP_RATE_PER_MINUTE, SMTP_MAX_CONNECTIONS and SMTP_DAILY_LIMIT held by all
replicas together (their shared state is a row per relay in the database), and the pauses a
relay's "slow down" answers call for."""
