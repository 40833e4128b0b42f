"""SMTP_URL parsing, redaction and choosing the mailer (no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.integrations.mail.factory import build_mailer
from bot.integrations.mail.file import FileMailer
from bot.integrations.mail.smtp import SmtpMailer, redact_smtp_url
from bot.integrations.mail.smtp_url import SmtpConfig, SmtpSecurity, parse_smtp_url


def parse(url: str) -> SmtpConfig:
    return parse_smtp_url(url, default_timeout=30)


@pytest.mark.parametrize(
    ("url", "security", "port"),
    [
        ("smtp://mail.example.com", SmtpSecurity.PLAIN, 25),
        ("smtp://mail.example.com?starttls=true", SmtpSecurity.STARTTLS, 587),
        ("smtp://mail.example.com:2525?starttls=TRUE", SmtpSecurity.STARTTLS, 2525),
        ("smtp://mail.example.com:25?starttls=false", SmtpSecurity.PLAIN, 25),
        ("smtps://mail.example.com", SmtpSecurity.IMPLICIT_TLS, 465),
        ("SMTPS://mail.example.com:10465", SmtpSecurity.IMPLICIT_TLS, 10465),
    ],
)
def test_scheme_starttls_and_default_ports(url: str, security: SmtpSecurity, port: int) -> None:
    config = parse(url)
    assert (config.host, config.security, config.port) == ("mail.example.com", security, port)


def test_user_and_password_are_url_decoded() -> None:
    config = parse("smtp://helpdesk%40example.com:p%40ss%2Fw%3Frd@mail.example.com:587?starttls=true")

    assert config.user == "helpdesk@example.com"
    assert config.password == "p@ss/w?rd"
    assert "p@ss" not in repr(config)


def test_an_unencoded_at_sign_in_the_user_name_is_understood() -> None:
    config = parse("smtps://helpdesk@example.com:secret@mail.example.com")
    assert (config.user, config.password, config.host) == (
        "helpdesk@example.com",
        "secret",
        "mail.example.com",
    )


def test_timeout_and_cafile_options(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("placeholder")

    config = parse(f"smtps://mail.example.com?timeout=2.5&cafile={ca}")

    assert config.timeout == 2.5
    assert config.cafile == ca
    assert parse("smtp://mail.example.com").timeout == 30


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("smtpx://mail.example.com", "unknown scheme 'smtpx'"),
        ("smtp://mail.example.com:abc", "the port must be a number between 1 and 65535"),
        ("smtp://mail.example.com:70000", "the port must be a number between 1 and 65535"),
        ("smtp://mail.example.com:0", "the port must be a number between 1 and 65535"),
        ("smtp://:25", "the host is missing"),
        ("smtp://mail.example.com?insecure=true", "unknown option 'insecure'"),
        ("smtp://mail.example.com?starttls=maybe", "starttls='maybe' must be true or false"),
        ("smtps://mail.example.com?starttls=true", "smtps:// is already TLS"),
        ("smtp://mail.example.com?timeout=0", "must be a positive number"),
        ("smtp://mail.example.com?timeout=soon", "must be a positive number"),
        ("smtps://mail.example.com?cafile=/nonexistent/ca.pem", "is not a readable file"),
        ("smtp://mail.example.com/inbox", "unexpected path"),
    ],
)
def test_unusable_urls_say_what_to_fix(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=r"^SMTP_URL ") as caught:
        build_mailer(url, mail_from="helpdesk@example.com", timeout=30)
    assert complaint in str(caught.value)


def test_a_password_is_never_sent_unencrypted_to_a_remote_server() -> None:
    with pytest.raises(ValueError, match="must not travel unencrypted") as caught:
        parse("smtp://helpdesk:hunter2@mail.example.com:25")
    assert "hunter2" not in str(caught.value)
    assert parse("smtp://helpdesk:hunter2@127.0.0.1:2525").password == "hunter2"


@pytest.mark.parametrize(
    "url",
    [
        "smtp://helpdesk:hunter2@mail.example.com:abc",
        "smtp://helpdesk:hun/ter2@mail.example.com:587",
        "smtpx://helpdesk:hunter2@mail.example.com",
        "smtp://helpdesk:hunter2@mail.example.com:25?insecure=1",
    ],
)
def test_errors_about_a_url_never_show_its_password(url: str) -> None:
    with pytest.raises(ValueError, match=r"^SMTP_URL ") as caught:
        build_mailer(url, mail_from="helpdesk@example.com", timeout=30)
    assert "hunter2" not in str(caught.value)
    assert "hun/ter2" not in str(caught.value)
    assert "helpdesk:***@" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        (
            "smtp://helpdesk%40example.com:s3cr%2Ft@mail.example.com:587?starttls=true",
            "smtp://helpdesk%40example.com:***@mail.example.com:587?starttls=true",
        ),
        (
            "smtps://helpdesk@example.com:p@ss@mail.example.com",
            "smtps://helpdesk@example.com:***@mail.example.com",
        ),
        ("smtp://relay.example.com:25", "smtp://relay.example.com:25"),
        ("smtp://helpdesk@relay.example.com:25", "smtp://helpdesk@relay.example.com:25"),
        ("./outbox/", "./outbox/"),
    ],
)
def test_redact_smtp_url(url: str, redacted: str) -> None:
    assert redact_smtp_url(url) == redacted


def test_build_mailer_picks_the_implementation(tmp_path: Path) -> None:
    smtp = build_mailer("smtp://mail.example.com:587?starttls=true", mail_from="h@example.com", timeout=9)
    folder = build_mailer(str(tmp_path / "outbox"), mail_from="h@example.com", timeout=9)
    default = build_mailer("./outbox/", mail_from="h@example.com", timeout=9)
    file_url = build_mailer(f"file://{tmp_path}/mail", mail_from="h@example.com", timeout=9)

    assert isinstance(smtp, SmtpMailer)
    assert smtp.config.timeout == 9
    assert isinstance(folder, FileMailer)
    assert folder.folder == tmp_path / "outbox"
    assert isinstance(default, FileMailer)
    assert default.folder == Path("outbox")
    assert isinstance(file_url, FileMailer)
    assert file_url.folder == tmp_path / "mail"


def test_a_cafile_that_is_not_pem_is_refused_at_start(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not a certificate")

    with pytest.raises(ValueError, match="is not a PEM file of CA certificates"):
        build_mailer(f"smtps://mail.example.com?cafile={ca}", mail_from="h@example.com", timeout=9)
