"""Rendering e-mails from templates, and building the MIME message every mailer sends."""

from __future__ import annotations

import binascii
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, UndefinedError

from bot.i18n.brand import Brand
from bot.integrations.mail.message import build_mime, message_id_header, quoted_printable, to_bytes
from bot.integrations.mail.port import OutgoingEmail
from bot.integrations.mail.render import MailRenderer, render_email

CONTEXT = {"name": "Jane", "link": "https://deskops.example.com/enroll/abc?x=1&y=2"}


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=default_policy).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def test_renders_subject_text_and_html_from_the_three_files() -> None:
    email = render_email("test_message", to="jane@example.com", context=CONTEXT, message_id="row-1")

    assert email.to == "jane@example.com"
    assert email.message_id == "row-1"
    assert email.subject == "Test message for Jane from Helpdesk"
    assert "Hello Jane," in email.text
    assert "Open: https://deskops.example.com/enroll/abc?x=1&y=2" in email.text
    assert "Hello Jane," in email.html
    assert 'href="https://deskops.example.com/enroll/abc?x=1&amp;y=2"' in email.html


def test_html_is_autoescaped_and_text_is_not() -> None:
    email = render_email(
        "test_message",
        to="jane@example.com",
        context={**CONTEXT, "name": '<script>alert("x")</script>'},
        message_id="row-1",
    )

    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html
    assert 'Hello <script>alert("x")</script>,' in email.text


def test_layout_shows_the_brand_with_helpdesk_as_default() -> None:
    plain = render_email("test_message", to="a@example.com", context=CONTEXT, message_id="1")
    branded = MailRenderer(brand=Brand(name="Contoso IT", support_email="help@contoso.example")).render_email(
        "test_message", to="a@example.com", context=CONTEXT, message_id="1"
    )
    per_message = render_email(
        "test_message", to="a@example.com", context={**CONTEXT, "brand_name": "Fabrikam"}, message_id="1"
    )

    assert plain.html.lstrip().startswith("<!DOCTYPE html>")
    assert "Helpdesk" in plain.html
    assert "Contoso IT" in branded.html
    assert branded.subject == "Test message for Jane from Contoso IT"
    assert "Sent by Contoso IT." in branded.text
    assert "Questions? Write to help@contoso.example." in branded.text
    assert 'href="mailto:help@contoso.example"' in branded.html
    assert "Fabrikam" in per_message.html
    assert "Contoso" not in per_message.html


def test_a_missing_variable_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(UndefinedError, match="link"):
        render_email("test_message", to="a@example.com", context={"name": "Jane"}, message_id="1")


def test_a_line_break_in_a_name_cannot_add_a_header() -> None:
    email = render_email(
        "test_message",
        to="jane@example.com",
        context={**CONTEXT, "name": "Eve\r\nBcc: attacker@example.net\n\u2028X-Evil: 1"},
        message_id="row-1",
    )

    assert email.subject == "Test message for Eve Bcc: attacker@example.net X-Evil: 1 from Helpdesk"
    message = parse(to_bytes(build_mime(email, "helpdesk@example.com")))
    # (Python may fold a long subject onto a continuation line: compare what a client shows.)
    assert [subject.strip() for subject in message.get_all("Subject", [])] == [email.subject]
    assert message["Bcc"] is None
    assert message["X-Evil"] is None


def test_build_mime_refuses_a_raw_header_with_a_line_break() -> None:
    email = OutgoingEmail(
        to="jane@example.com", subject="Hi\r\nBcc: attacker@example.net", text="t", html="h", message_id="1"
    )
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        build_mime(email, "helpdesk@example.com")


def test_mime_message_headers_and_part_order() -> None:
    email = OutgoingEmail(
        to="Jane Doe <jane@example.com>",
        subject="Grüße",
        text="Hallo Jürgen",
        html="<p>Hallo Jürgen</p>",
        message_id="outbox-42",
        headers={"Reply-To": "support@example.com", "X-Deskops-Kind": "test"},
    )
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    message = parse(to_bytes(build_mime(email, "Helpdesk <helpdesk@example.com>", now=moment)))

    assert message["From"] == "Helpdesk <helpdesk@example.com>"
    assert message["To"] == "Jane Doe <jane@example.com>"
    assert message["Subject"] == "Grüße"
    assert message["Date"].datetime == moment
    assert message["Message-ID"] == "<outbox-42@deskops>"
    assert message["Reply-To"] == "support@example.com"
    assert message["X-Deskops-Kind"] == "test"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    text = message.get_body(("plain",))
    assert text is not None
    assert text.get_content().strip() == "Hallo Jürgen"


def test_extra_headers_cannot_replace_the_message_id() -> None:
    email = OutgoingEmail(
        to="a@example.com", subject="s", text="t", html="h", message_id="1", headers={"Message-ID": "<x@y>"}
    )
    with pytest.raises(ValueError, match="Message-ID"):
        build_mime(email, "helpdesk@example.com")


@pytest.mark.parametrize(
    ("message_id", "header"),
    [
        ("outbox-1", "<outbox-1@deskops>"),
        ("abc@mail.example.com", "<abc@mail.example.com>"),
        ("<a@b>", "<a@b>"),
    ],
)
def test_message_id_header_form(message_id: str, header: str) -> None:
    assert message_id_header(message_id) == header


def test_adding_an_email_is_dropping_three_files(tmp_path: Path) -> None:
    (tmp_path / "welcome.subject.txt").write_text("Welcome, {{ name }}\n")
    (tmp_path / "welcome.txt").write_text(
        '{% extends "layout.txt" %}{% block content %}Hi {{ name }}{% endblock %}'
    )
    (tmp_path / "welcome.html").write_text(
        '{% extends "layout.html" %}{% block content %}<p>Hi {{ name }}</p>{% endblock %}'
    )
    renderer = MailRenderer(
        loader=ChoiceLoader([FileSystemLoader(tmp_path), PackageLoader("bot.integrations.mail", "templates")])
    )

    email = renderer.render_email("welcome", to="a@example.com", context={"name": "Jane"}, message_id="1")

    assert "welcome" in renderer.template_names()
    assert email.subject == "Welcome, Jane"
    assert "<p>Hi Jane</p>" in email.html
    assert "Sent by Helpdesk." in email.html  # the layout's footer
    assert email.text.startswith("Hi Jane")


def test_bundled_templates_are_complete() -> None:
    assert "test_message" in MailRenderer().template_names()


@pytest.mark.parametrize(
    "subject",
    [
        "Richten Sie Acronis Access auf Ihrem iOS-Gerät ein",
        "Configurez « Acronis Access » sur votre appareil iOS / Android — dès aujourd'hui, s'il vous plaît",
        "山田さん、iOS デバイスに Acronis Access を設定してください 🙂 " * 3,
        "=?utf-8?q?not-a-word?= and 100% ünïcödé",
    ],
)
def test_a_subject_in_any_language_reads_back_the_same_within_78_characters_a_line(subject: str) -> None:
    email = OutgoingEmail(to="jane@example.com", subject=subject, text="t", html="<p>h</p>", message_id="1")

    raw = to_bytes(build_mime(email, "helpdesk@example.com"))

    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert raw.isascii()
    assert all(len(line) <= 78 for line in headers.split(b"\r\n"))
    assert parse(raw)["Subject"] == subject


# Pieces of bodies: white space that ends lines, dots that start them, '=', line breaks of
# both kinds, characters that take several bytes, and runs long enough to need soft breaks.
_PIECES = st.sampled_from(["a", "b", " ", "\t", ".", "=", "-", "\n", "\r\n", "\r", "é", "€", "😀", "x" * 40])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_PIECES, max_size=30).map("".join), min_size=1, max_size=4))
def test_bodies_are_quoted_printable_as_binascii_writes_them_line_after_line(texts: list[str]) -> None:
    # The lines are encoded one at a time and kept (the e-mails of a batch share most of theirs):
    # every body still reads as the standard encoding of its text, the same every time.
    for text in [*texts, *texts]:
        encoded = binascii.b2a_qp(text.encode("utf-8"), istext=True).decode("ascii")
        assert quoted_printable(text) == encoded.replace("\r\n", "\n").replace("\n", "\r\n")
