"""Fixtures for integration tests: the real SMTP sink (see tests/support/smtp_sink.py)."""

from tests.support.smtp_sink import (  # noqa: F401 - pytest finds fixtures by name
    make_smtp_sink,
    smtp_ca,
    smtp_ca_file,
    smtp_server_cert,
    smtp_sink,
)
