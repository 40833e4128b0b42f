"""Secrets in links (activation, enrollment invitations).

A link token is an HMAC of its purpose and a random per-row nonce under the server's secret key.
The database keeps only the token's SHA-256 (to find the row when the link is opened) and the
nonce; the token itself can be derived again only with the key. So a re-delivered e-mail
carries the very same link, and a copy of the database alone opens nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)
KEY_BYTES = 32


def new_nonce() -> str:
    return secrets.token_hex(16)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class LinkTokens:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the secret key must have at least 16 bytes")
        self._key = key

    def token(self, purpose: str, nonce: str) -> str:
        digest = hmac.new(self._key, f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def token_hash(self, purpose: str, nonce: str) -> str:
        return hash_token(self.token(purpose, nonce))


def load_or_create_key(configured: str | None, key_file: Path) -> bytes:
    """SECRET_KEY when set; otherwise a random key kept in `key_file` (created once, mode 0600).
    Several replicas must share one SECRET_KEY."""
    if configured:
        return configured.encode("utf-8")
    try:
        return bytes.fromhex(key_file.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(KEY_BYTES)
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key.hex())
    log.warning("SECRET_KEY is not set: created %s; set SECRET_KEY when running several replicas", key_file)
    return key
