"""External probe, bodies: every endpoint limits a body before reading it into memory (413), by
its Content-Length before a byte is read and by counting what arrives when the length is not
declared (chunked) — so outsiders' large bodies leave a real `deskops serve` as big as it was.
The probe found four concurrent unsigned 100 MB bodies taking the process from 137 MB to 1,265 MB.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.web.edge import MAX_BODY_BYTES
from console import SlackEmulator
from tests.reliability.conftest import SQLITE_ONLY
from tests.support.deskops_process import DeskopsProcess
from tests.support.reliability import Figures
from tests.support.slack import bot_environment

pytestmark = SQLITE_ONLY
LARGE = 100 * 1024 * 1024
CHUNK = b"x" * (64 * 1024)
PATHS = ("/slack/events", "/api/enrollments", "/activate/" + "t" * 40, "/no/such/route")
# What the process may grow by while refusing 8 x 100 MB: far less than one body (a buffered
# body would add 100 MB each), enough for the allocator and uvicorn's connection objects.
ALLOWED_GROWTH_MB = 40
API_KEY = "probe-enrollment-key-0123456789"


@pytest.fixture
def served(slack_emulator: SlackEmulator, database_url: str, tmp_path: Path) -> Iterator[DeskopsProcess]:
    server = DeskopsProcess(
        {
            **bot_environment(slack_emulator),
            "DATABASE_URL": database_url,
            "SMTP_URL": str(tmp_path / "outbox"),
            "SECRET_KEY": "probe-secret-key-0123456789abcdef0123",
            "ENROLLMENT_API_KEY": API_KEY,
        },
        log_path=tmp_path / "serve.log",
        cwd=tmp_path,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def request_head(path: str, framing: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n".encode()
        + b"X-Slack-Signature: v0=\xe9\r\nX-Slack-Request-Timestamp: 1\r\n"
        + f"X-Api-Key: {API_KEY}\r\n".encode()
        + framing
        + b"\r\n"
    )


def read_status(sock: socket.socket) -> int:
    answer = b""
    while b"\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            return 0
        answer += chunk
    return int(answer.split(b" ", 2)[1])


def send_large(port: int, path: str, *, chunked: bool, outcomes: list[str]) -> None:
    """Up to 100 MB, as fast as the server takes it; what came back: a status, or `reset` when
    the server closed the connection on a body it refused to read (the 413 may be lost with it)."""
    framing = b"Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {LARGE}\r\n".encode()
    statuses: list[int] = []
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        reader = threading.Thread(target=lambda: statuses.append(_status_or_zero(sock)), daemon=True)
        sock.sendall(request_head(path, framing))
        reader.start()
        sent = 0
        try:
            while sent < LARGE and reader.is_alive():
                piece = b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if chunked else CHUNK
                sock.sendall(piece)
                sent += len(CHUNK)
            if chunked and reader.is_alive():
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass
        reader.join(30)
    outcomes.append(str(statuses[0]) if statuses and statuses[0] else "reset")


def _status_or_zero(sock: socket.socket) -> int:
    try:
        return read_status(sock)
    except OSError:
        return 0


def test_large_bodies_to_every_endpoint_leave_memory_flat(served: DeskopsProcess, figures: Figures) -> None:
    assert served.process is not None
    pid = served.process.pid
    for _ in range(20):  # warm up: the first requests import and allocate what any request needs
        httpx.post(f"{served.url}/slack/events", content=b"{}", trust_env=False, timeout=10)
        httpx.get(f"{served.url}/healthz", trust_env=False, timeout=10)
    before = rss_mb(pid)
    peak = before
    outcomes: list[str] = []
    senders = [
        threading.Thread(
            target=send_large,
            args=(
                served.port,
                path,
            ),
            kwargs={"chunked": chunked, "outcomes": outcomes},
        )
        for path in PATHS
        for chunked in (False, True)
    ]
    for sender in senders:
        sender.start()
    while any(s.is_alive() for s in senders):
        peak = max(peak, rss_mb(pid))
        time.sleep(0.02)
    after = rss_mb(pid)
    figures.add("bodies of 100 MB sent", len(senders))
    figures.add("requests sent to the app", len(senders))
    assert len(outcomes) == len(senders)
    # 413, or an endpoint's refusal that needs no body (401 for a wrong API key, 404), or the
    # connection closed on a body the server would not read
    assert set(outcomes) <= {"401", "404", "413", "reset"}, outcomes
    assert "413" in outcomes
    assert peak - before < ALLOWED_GROWTH_MB, f"RSS {before:.0f} MB -> peak {peak:.0f} MB"
    assert after - before < ALLOWED_GROWTH_MB, f"RSS {before:.0f} MB -> {after:.0f} MB after"
    assert httpx.get(f"{served.url}/readyz", trust_env=False, timeout=10).status_code == 200
    log = served.log_path.read_text(encoding="utf-8", errors="replace")
    assert log.count(" 413 ") >= len(PATHS), "each refusal is in the access log"
    figures.add("peak RSS growth under 8 x 100 MB bodies (MB)", round(peak - before))


def test_over_the_limit_is_refused_before_reading_and_under_it_answered_as_before(
    served: DeskopsProcess, figures: Figures
) -> None:
    """A declared length over the limit: 413 while the client has sent only the headers (nothing
    waited for or read). Chunks without a length: the server stops at the limit and answers 413.
    The control: an unsigned Slack body just under the limit gets the 401 it always got."""
    for path in PATHS:
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
            sock.sendall(request_head(path, f"Content-Length: {MAX_BODY_BYTES + 1}\r\n".encode()))
            assert read_status(sock) == 413, path
    for path in ("/slack/events", "/api/enrollments"):  # the two that read a body before refusing
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
            sock.sendall(request_head(path, b"Transfer-Encoding: chunked\r\n"))
            sent = 0
            while sent <= MAX_BODY_BYTES:
                sock.sendall(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
                sent += len(CHUNK)
            assert read_status(sock) == 413, path
    figures.add("requests sent to the app", len(PATHS) + 3)
    figures.add("oversized bodies refused with 413", len(PATHS) + 2)
    answer = httpx.post(served.events_url, content=b"x" * (MAX_BODY_BYTES - 1), trust_env=False, timeout=10)
    assert answer.status_code == 401
