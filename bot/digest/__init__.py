"""The daily digest in DIGEST_CHANNEL at DIGEST_TIME (TIMEZONE)."""
