"""FileMailer: .eml files in a folder, the embedded default of the mail port."""

from __future__ import annotations

from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

import pytest

from bot.integrations.mail.file import FileMailer
from bot.integrations.mail.port import MailError, OutgoingEmail

SENDER = "Helpdesk <helpdesk@example.com>"


def email(
    message_id: str = "outbox-1", *, subject: str = "Welcome", to: str = "jane@example.com"
) -> OutgoingEmail:
    return OutgoingEmail(
        to=to, subject=subject, text="Hello Jane", html="<p>Hello <b>Jane</b></p>", message_id=message_id
    )


def read(path: Path) -> EmailMessage:
    message = BytesParser(policy=default_policy).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    return message


def test_writes_one_rfc5322_file_with_text_then_html(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path / "outbox", SENDER)

    mailer.send(email())

    [path] = (tmp_path / "outbox").iterdir()
    assert path.name == "outbox-1.eml"
    raw = path.read_bytes()
    assert b"\r\n" in raw  # RFC 5322 line endings
    message = read(path)
    assert message["From"] == SENDER
    assert message["To"] == "jane@example.com"
    assert message["Subject"] == "Welcome"
    assert message["Message-ID"] == "<outbox-1@deskops>"
    assert message["Date"] is not None
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    html = message.get_body(("html",))
    assert html is not None
    assert "<b>Jane</b>" in html.get_content()


def test_redelivery_of_the_same_message_overwrites_its_file(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path, SENDER)

    mailer.send(email(subject="First try"))
    mailer.send(email(subject="Second try"))
    mailer.send(email("outbox-2"))

    assert sorted(path.name for path in tmp_path.iterdir()) == ["outbox-1.eml", "outbox-2.eml"]
    assert read(tmp_path / "outbox-1.eml")["Subject"] == "Second try"


def test_no_temporary_files_are_left_behind(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path, SENDER)
    for number in range(5):
        mailer.send(email(f"outbox-{number}"))
    mailer.check()

    assert all(path.suffix == ".eml" for path in tmp_path.iterdir())
    assert len(list(tmp_path.iterdir())) == 5


@pytest.mark.parametrize("message_id", ["../../etc/passwd", "a/b", "<x@example.com>", "...", "a:b"])
def test_any_message_id_stays_inside_the_folder(tmp_path: Path, message_id: str) -> None:
    folder = tmp_path / "outbox"
    mailer = FileMailer(folder, SENDER)

    mailer.send(email(message_id))

    [path] = list(tmp_path.rglob("*.eml"))
    assert path.parent == folder
    assert not path.name.startswith(".")


def test_ids_differing_only_in_unsafe_characters_get_different_files(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path, SENDER)

    mailer.send(email("a/b"))
    mailer.send(email("a:b"))
    mailer.send(email("a_b"))

    assert len(list(tmp_path.iterdir())) == 3


def test_check_creates_the_folder_and_says_where_mail_goes(tmp_path: Path) -> None:
    folder = tmp_path / "deep" / "outbox"

    summary = FileMailer(folder, SENDER).check()

    assert summary == f"file: writing .eml files to {folder.resolve()}"
    assert folder.is_dir()
    assert list(folder.iterdir()) == []


def test_an_unusable_folder_is_a_mail_error_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    mailer = FileMailer(blocker / "outbox", SENDER)

    for action in (mailer.check, lambda: mailer.send(email())):
        with pytest.raises(MailError) as caught:
            action()
        assert str(caught.value).startswith(f"the mail folder {blocker / 'outbox'} cannot be written")
        assert "SMTP_URL" in str(caught.value)
        assert caught.value.permanent is False


def test_a_header_injection_in_the_address_is_refused_permanently(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path, SENDER)

    with pytest.raises(MailError) as caught:
        mailer.send(email(to="jane@example.com\r\nBcc: attacker@example.net"))

    assert caught.value.permanent is True
    assert list(tmp_path.iterdir()) == []
