"""The console's Outbox: the .eml files the file mailer wrote (SMTP_URL is a folder), read back.

Only names the folder listing produced are ever opened (no path from the browser reaches the
file system), and an e-mail's HTML is served for a sandboxed iframe, never into the page.
"""

from __future__ import annotations

import base64
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path

from console.mrkdwn import safe_href

_NAME = re.compile(r"^[A-Za-z0-9_@+\-][A-Za-z0-9._@+\-]*\.eml$")
_TEXT_LINK = re.compile(r"https?://[^\s<>\"']+")
_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)


@dataclass(frozen=True)
class MailSummary:
    name: str
    subject: str
    to: str
    sender: str
    date: datetime


@dataclass(frozen=True)
class MailDetail:
    summary: MailSummary
    text: str
    html: str | None
    links: list[str]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def links_in(text: str, html: str | None) -> list[str]:
    """The http(s) links of an e-mail, text part first, each once."""
    found = [m.group(0).rstrip(".,;)") for m in _TEXT_LINK.finditer(text)]
    if html:
        parser = _Links()
        parser.feed(html)
        found.extend(parser.links)
    safe = [link for link in found if (safe_href(link) or "").startswith(("http://", "https://"))]
    return list(dict.fromkeys(safe))


_CID = re.compile(r"""(["'])cid:([^"']+)\1""")


def inline_images(message: EmailMessage, html: str) -> str:
    """`cid:` references (images sent inside the message, multipart/related) as data: URIs, as a
    mail client shows them; a reference to no part stays as it is."""
    parts = {
        str(part["Content-ID"]).strip("<> "): part
        for part in message.walk()
        if part["Content-ID"] and part.get_content_maintype() == "image"
    }

    def data_uri(match: re.Match[str]) -> str:
        part = parts.get(match.group(2))
        if part is None:
            return match.group(0)
        payload = base64.b64encode(part.get_content()).decode("ascii")
        return f"{match.group(1)}data:{part.get_content_type()};base64,{payload}{match.group(1)}"

    return _CID.sub(data_uri, html)


def framed_html(html: str) -> str:
    """The e-mail's HTML for the preview iframe: links open in a new tab, outside the sandbox."""
    base = '<base target="_blank">'
    if _HEAD.search(html):
        return _HEAD.sub(lambda m: m.group(0) + base, html, count=1)
    return base + html


class OutboxFolder:
    def __init__(self, folder: Path | None, *, description: str = "") -> None:
        self.folder = folder
        # Where mail goes when it is not a folder (shown instead of a list), e.g. an SMTP server.
        self.description = description
        # The page polls the list twice a second: each file is parsed once per version of it.
        self._summaries: dict[str, tuple[tuple[int, int], MailSummary]] = {}
        self._lock = threading.Lock()

    def _files(self) -> dict[str, Path]:
        if self.folder is None or not self.folder.is_dir():
            return {}
        return {p.name: p for p in self.folder.glob("*.eml") if p.is_file() and _NAME.match(p.name)}

    def _parse(self, path: Path) -> EmailMessage:
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(message, EmailMessage)
        return message

    def _summary(self, name: str, path: Path, message: EmailMessage) -> MailSummary:
        try:
            date = parsedate_to_datetime(str(message["Date"]))
        except (TypeError, ValueError):
            date = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        if date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        return MailSummary(
            name=name,
            subject=str(message["Subject"] or "(no subject)"),
            to=str(message["To"] or ""),
            sender=str(message["From"] or ""),
            date=date,
        )

    def list(self) -> list[MailSummary]:
        """Newest first."""
        found: list[MailSummary] = []
        files = self._files()
        for name, path in files.items():
            try:
                stat = path.stat()
                version = (stat.st_mtime_ns, stat.st_size)
                with self._lock:
                    cached = self._summaries.get(name)
                if cached is None or cached[0] != version:
                    cached = (version, self._summary(name, path, self._parse(path)))
                    with self._lock:
                        self._summaries[name] = cached
                found.append(cached[1])
            except OSError:
                continue  # removed or unreadable meanwhile
        with self._lock:
            for gone in set(self._summaries) - set(files):
                del self._summaries[gone]
        return sorted(found, key=lambda m: (m.date, m.name), reverse=True)

    def read(self, name: str) -> MailDetail:
        path = self._files().get(name)
        if path is None:
            raise LookupError(f"no e-mail {name!r} in the outbox")
        message = self._parse(path)
        text_part = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
        text = str(text_part.get_content()) if text_part is not None else ""
        html = inline_images(message, str(html_part.get_content())) if html_part is not None else None
        return MailDetail(self._summary(name, path, message), text, html, links_in(text, html))
