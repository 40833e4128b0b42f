"""The console's Outbox reads back what the file mailer wrote: newest first, text and HTML parts,
the links people follow, and nothing outside the folder."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from bot.integrations.mail.file import FileMailer
from bot.integrations.mail.port import OutgoingEmail
from console.outbox import OutboxFolder, framed_html, links_in

HTML = (
    "<!DOCTYPE html><html><head><title>t</title></head><body>"
    '<a href="http://127.0.0.1:3000/activate/tok3n">Activate</a> '
    '<a href="javascript:alert(1)">bad</a> <a href="mailto:help@example.com">mail</a></body></html>'
)


def send(folder: Path, number: int, *, to: str = "john.doe@example.com", html: str = HTML) -> Path:
    mailer = FileMailer(folder, "helpdesk@localhost")
    mailer.send(
        OutgoingEmail(
            to=to,
            subject=f"Activate your backup account #{number}",
            text="Open http://127.0.0.1:3000/activate/tok3n to activate.\nThen https://downloads.example.com/agent.",
            html=html,
            message_id=f"activation-{number}",
        )
    )
    return mailer.path_for(f"activation-{number}")


def test_lists_newest_first_and_reads_both_parts(tmp_path: Path) -> None:
    send(tmp_path, 1)
    send(tmp_path, 2, to="mary@example.com")  # its Date is the same second or later
    (tmp_path / "notes.txt").write_text("not mail")
    (tmp_path / ".hidden.eml").write_text("half written")
    outbox = OutboxFolder(tmp_path)
    listed = outbox.list()
    assert [m.name for m in listed] == ["activation-2.eml", "activation-1.eml"]
    assert {m.to for m in listed} == {"john.doe@example.com", "mary@example.com"}
    assert all(m.sender == "helpdesk@localhost" for m in listed)
    assert listed == sorted(listed, key=lambda m: (m.date, m.name), reverse=True)
    mail = outbox.read("activation-1.eml")
    assert mail.summary.subject == "Activate your backup account #1"
    assert "to activate." in mail.text and mail.html is not None and "Activate</a>" in mail.html
    assert mail.links == [
        "http://127.0.0.1:3000/activate/tok3n",
        "https://downloads.example.com/agent",
    ]


@pytest.mark.parametrize("name", ["../secret.eml", "/etc/passwd", "notes.txt", ".hidden.eml", "missing.eml"])
def test_only_listed_files_can_be_read(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "outbox"
    send(folder, 1)
    (tmp_path / "secret.eml").write_text("Subject: secret\n\nsecret")
    (folder / "notes.txt").write_text("x")
    with pytest.raises(LookupError):
        OutboxFolder(folder).read(name)


def test_a_missing_folder_or_smtp_is_an_empty_outbox(tmp_path: Path) -> None:
    assert OutboxFolder(tmp_path / "not-yet").list() == []
    smtp = OutboxFolder(None, description="Mail goes to the SMTP server smtp://mail:25")
    assert smtp.list() == [] and "SMTP" in smtp.description


def test_links_are_web_links_only_each_once() -> None:
    text = "See https://a.example/x, and https://a.example/x. Also ftp://b.example/y"
    assert links_in(text, '<a href="https://c.example/">c</a><a href="data:text/html,x">d</a>') == [
        "https://a.example/x",
        "https://c.example/",
    ]


def test_framed_html_opens_links_outside_the_frame() -> None:
    assert framed_html(HTML).startswith('<!DOCTYPE html><html><head><base target="_blank">')
    assert framed_html("<p>no head</p>") == '<base target="_blank"><p>no head</p>'


def test_images_sent_inside_the_message_show_in_the_preview(tmp_path: Path) -> None:
    """An invitation's QR code travels as a cid: image (multipart/related): the preview shows it
    as a data: URI, as a mail client would; a reference to no part stays as it is."""
    from bot.integrations.mail.port import InlineImage
    from bot.qr import qr_png

    png = qr_png("https://deskops.example/enroll/tok3n")
    mailer = FileMailer(tmp_path, "helpdesk@localhost")
    mailer.send(
        OutgoingEmail(
            to="john.doe@example.com",
            subject="Set up Acronis Access",
            text="Open https://deskops.example/enroll/tok3n",
            html='<p><img src="cid:qr@deskops" alt="QR"><img src="cid:missing@deskops" alt="x"></p>',
            message_id="invitation-1",
            inline_images=(InlineImage("qr@deskops", png),),
        )
    )
    mail = OutboxFolder(tmp_path).read("invitation-1.eml")
    assert mail.html is not None
    assert f'src="data:image/png;base64,{base64.b64encode(png).decode()}"' in mail.html
    assert 'src="cid:missing@deskops"' in mail.html
