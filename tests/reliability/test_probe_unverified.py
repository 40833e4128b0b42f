"""External probe, the broken control: nothing in a request deskops has not verified reaches a
listener, the error handler, a `response_url` or the Web API — whatever bytes its headers or body
hold. Each such request gets 401 (or the HTTP parser's 400 for bytes HTTP does not allow), one
access-log line and no traceback.

Property-based (hypothesis) over arbitrary header bytes — non-ASCII, non-UTF-8, control
characters — and arbitrary bodies, with bodies that name a `response_url` on a loopback trap
server and a channel in the Slack emulator: the trap and the emulator must receive nothing.
The same for `/api/enrollments` and its `Authorization` / `X-Api-Key` headers.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from hypothesis import strategies as st

from console import SlackEmulator, payloads
from tests.e2e.backup_flows import add_user_with_backup
from tests.reliability.conftest import SQLITE_ONLY
from tests.reliability.helpers import SCHEDULER_RUNS, button_click_body, slash_body, table_counts
from tests.reliability.properties import run_property
from tests.support.app import RunningApp
from tests.support.reliability import Figures
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER
from tests.support.trap import Trap, outbound_trap

pytestmark = SQLITE_ONLY  # verification comes before the database

# What an HTTP/1.1 parser lets through in a header value (RFC 9110 §5.5: VCHAR, obs-text, and
# spaces or tabs between them): every such byte must reach deskops' check and be refused there.
FIELD_BYTE = st.one_of(st.integers(0x21, 0x7E), st.integers(0x80, 0xFF))
FIELD_VALUE = st.lists(
    st.binary(min_size=1, max_size=40).map(
        lambda b: bytes(0x21 + c % 0x5E if c < 0x80 and not 0x21 <= c <= 0x7E else c for c in b)
    ),
    min_size=1,
    max_size=4,
).map(b" ".join)
NON_ASCII = st.binary(min_size=1, max_size=80).map(lambda b: bytes(0x80 | c for c in b))


def aimed_at(body: bytes, url: str) -> bytes:
    """The body with its `response_url` replaced by `url` (a form, or a form with a JSON payload)."""
    fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    if "payload" in fields:
        payload = json.loads(fields["payload"])
        payload["response_url"] = url
        fields["payload"] = json.dumps(payload)
    else:
        fields["response_url"] = url
    return urlencode(fields).encode("utf-8")


@pytest.fixture
def trap() -> Iterator[Trap]:
    with outbound_trap() as server:
        yield server


@pytest.fixture
def forged_bodies(helpdesk_app: RunningApp, slack_emulator: SlackEmulator, trap: Trap) -> list[bytes]:
    """Bodies that would act (and name the trap as their response_url) if they were signed."""
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Globex", email="john.doe@example.com")
    helpdesk_app.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    command = slash_body(
        slack_emulator, HELPDESK_USER, "/backup", "activate john.doe@example.com", HELPDESK_CHANNEL
    )
    click = button_click_body(slack_emulator, HELPDESK_USER, card, "backup.user.activate")
    unknown = payloads.form_body(
        {
            "command": "/nope",
            "text": "x",
            "response_url": trap.url,
            "channel_id": HELPDESK_CHANNEL,
            "user_id": HELPDESK_USER,
        }
    )
    return [aimed_at(command, trap.url), aimed_at(click, trap.url), unknown]


class NothingHappened:
    """After every example: the expected status, no row, no Web API call, no response_url post,
    nothing at the trap, no listener running, and one access-log line with no traceback."""

    def __init__(
        self,
        app: RunningApp,
        emulator: SlackEmulator,
        trap: Trap,
        figures: Figures,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        app.wait_for_outbox()
        self.app, self.emulator, self.trap, self.figures, self.caplog = app, emulator, trap, figures, caplog
        self.rows = table_counts(app.deps.db, ignore=(SCHEDULER_RUNS,))
        self.calls = len(emulator.calls())
        self.responses = len(emulator.response_posts())
        caplog.set_level(logging.INFO)

    def check(self, send: object, expected: tuple[int, ...] = (401,)) -> None:
        self.caplog.clear()
        status = send() if callable(send) else send
        time.sleep(0.01)  # a listener or error handler would run right after the answer
        self.figures.add("requests sent to the app")
        self.figures.add("unverified requests refused")
        assert status in expected, f"answered {status}"
        assert self.app.service.listeners.in_flight == 0
        assert not self.trap.hits, f"deskops called the response_url: {self.trap.hits[:1]}"
        assert len(self.emulator.calls()) == self.calls, "deskops called the Slack Web API"
        assert len(self.emulator.response_posts()) == self.responses
        assert table_counts(self.app.deps.db, ignore=(SCHEDULER_RUNS,)) == self.rows
        tracebacks = [r for r in self.caplog.records if r.exc_info or r.levelno >= logging.ERROR]
        assert not tracebacks, [r.getMessage() for r in tracebacks]
        if status != 400:  # the HTTP parser's own 400 never reaches the app
            lines = [r for r in self.caplog.records if r.name == "deskops.access"]
            assert len(lines) == 1, [r.getMessage() for r in lines]
        if status == 401:
            self.figures.add("requests refused with 401")


@pytest.fixture
def nothing(
    helpdesk_app: RunningApp,
    slack_emulator: SlackEmulator,
    trap: Trap,
    figures: Figures,
    caplog: pytest.LogCaptureFixture,
    forged_bodies: list[bytes],
) -> NothingHappened:
    return NothingHappened(helpdesk_app, slack_emulator, trap, figures, caplog)


def post(url: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    return httpx.post(url, content=body, headers=headers, timeout=10, trust_env=False).status_code


def test_any_signature_or_timestamp_bytes_on_a_body_that_would_act_get_401_and_no_call(
    helpdesk_app: RunningApp,
    slack_emulator: SlackEmulator,
    forged_bodies: list[bytes],
    nothing: NothingHappened,
    request: pytest.FixtureRequest,
) -> None:
    url = f"{helpdesk_app.url}/slack/events"

    def check(example: tuple[int, bytes, bytes | None, bytes | None]) -> None:
        index, signature, timestamp, retry = example
        headers = [(b"content-type", b"application/x-www-form-urlencoded"), (b"x-slack-signature", signature)]
        stamp = timestamp if timestamp is not None else str(int(time.time())).encode()
        headers.append((b"x-slack-request-timestamp", stamp))
        if retry is not None:
            headers.append((b"x-slack-retry-num", retry))
        nothing.check(lambda: post(url, forged_bodies[index], headers))

    signatures = st.one_of(NON_ASCII, FIELD_VALUE, NON_ASCII.map(lambda b: b"v0=" + b), st.just(b"\xe9"))
    run_property(
        request,
        st.tuples(
            st.integers(0, len(forged_bodies) - 1),
            signatures,
            st.one_of(st.none(), FIELD_VALUE),
            st.one_of(st.none(), FIELD_VALUE),
        ),
        check,
    )


def test_any_body_under_any_headers_gets_401_and_no_call(
    helpdesk_app: RunningApp, nothing: NothingHappened, request: pytest.FixtureRequest
) -> None:
    url = f"{helpdesk_app.url}/slack/events"
    content_types = st.sampled_from(
        [b"application/x-www-form-urlencoded", b"application/json", b"text/plain", b"\xff\xfe"]
    )

    def check(example: tuple[bytes, bytes, bytes]) -> None:
        body, content_type, signature = example
        headers = [
            (b"content-type", content_type),
            (b"x-slack-signature", signature),
            (b"x-slack-request-timestamp", str(int(time.time())).encode()),
        ]
        nothing.check(lambda: post(url, body, headers))

    bodies = st.one_of(
        st.binary(max_size=400),
        st.text(max_size=200).map(lambda t: ("payload=" + t).encode("utf-8", "surrogatepass")),
    )
    run_property(request, st.tuples(bodies, content_types, st.one_of(FIELD_VALUE, NON_ASCII)), check)


def raw_status(host: str, port: int, request_bytes: bytes) -> int:
    """The status an HTTP/1.1 server gives to exactly these bytes (0 when it closed without one)."""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(request_bytes)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                return 0
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_any_byte_in_a_raw_header_gets_400_or_401_and_no_call(
    helpdesk_app: RunningApp,
    forged_bodies: list[bytes],
    nothing: NothingHappened,
    request: pytest.FixtureRequest,
) -> None:
    """Bytes HTTP does not allow in a header (NUL, control characters) are refused by the parser
    (400) before deskops sees them; the rest by deskops (401). Never a 500, never a call."""
    port = helpdesk_app.server.port

    def check(example: tuple[int, bytes, bytes]) -> None:
        index, name, value = example
        body = forged_bodies[index]
        raw = (
            b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"X-Slack-Request-Timestamp: "
            + str(int(time.time())).encode()
            + b"\r\n"
            + name
            + b": "
            + value
            + b"\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        nothing.check(lambda: raw_status("127.0.0.1", port, raw), expected=(400, 401))

    no_line_break = st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
    names = st.sampled_from(
        [b"X-Slack-Signature", b"X-Slack-Request-Timestamp", b"X-Slack-Retry-Num", b"Content-Type", b"X-\xe9"]
    )
    run_property(request, st.tuples(st.integers(0, len(forged_bodies) - 1), names, no_line_break), check)


def test_enrollment_callback_any_key_bytes_get_401(
    helpdesk_app: RunningApp, nothing: NothingHappened, request: pytest.FixtureRequest
) -> None:
    url = f"{helpdesk_app.url}/api/enrollments"
    body = json.dumps({"token": "x" * 20, "platform": "ios", "device_id": "dev-1"}).encode()

    def check(example: tuple[bytes, bytes]) -> None:
        header, value = example
        nothing.check(lambda: post(url, body, [(b"content-type", b"application/json"), (header, value)]))

    values = st.one_of(
        NON_ASCII, FIELD_VALUE, NON_ASCII.map(lambda b: b"Bearer " + b), st.just(b"Bearer \xe9")
    )
    run_property(request, st.tuples(st.sampled_from([b"authorization", b"x-api-key"]), values), check)
