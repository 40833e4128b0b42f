"""SmtpMailer against a real SMTP server (aiosmtpd on loopback): TLS, login, errors, recovery."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from bot.integrations.mail.factory import build_mailer
from bot.integrations.mail.port import Mailer, MailError, OutgoingEmail
from bot.integrations.mail.render import render_email
from tests.support.net import free_port
from tests.support.smtp_sink import MakeSmtpSink, SmtpSink

SENDER = "helpdesk@example.com"
USER = "helpdesk@example.com"
PASSWORD = "Tr0ub4dor&3/s3cret"


def email(number: int = 1, *, to: str = "jane.doe@example.com", html: str = "<p>Hello</p>") -> OutgoingEmail:
    return OutgoingEmail(
        to=to, subject=f"Message {number}", text="Hello", html=html, message_id=f"outbox-{number}"
    )


@pytest.fixture
def mailers() -> Iterator[list[Mailer]]:
    opened: list[Mailer] = []
    yield opened
    for mailer in opened:
        mailer.close()


Connect = Callable[[str], Mailer]


@pytest.fixture
def connect(mailers: list[Mailer]) -> Connect:
    """`connect(url)` -> a mailer for SMTP_URL `url`, closed after the test."""

    def make(url: str) -> Mailer:
        mailer = build_mailer(url, mail_from=SENDER, timeout=5)
        mailers.append(mailer)
        return mailer

    return make


def failure(action: Callable[[], object]) -> MailError:
    with pytest.raises(MailError) as caught:
        action()
    return caught.value


# --- delivery ---------------------------------------------------------------------------------


def test_plain_delivery_arrives_with_headers_envelope_and_both_parts(
    smtp_sink: SmtpSink, connect: Connect
) -> None:
    mailer = connect(smtp_sink.url)

    mailer.send(email(7, to="Jane Doe <jane.doe@example.com>", html="<p>Hi <b>Jane</b></p>"))

    [message] = smtp_sink.wait_for(1)
    [delivery] = smtp_sink.deliveries
    assert delivery.mail_from == SENDER
    assert delivery.rcpt_tos == ("jane.doe@example.com",)
    assert message["Subject"] == "Message 7"
    assert message["To"] == "Jane Doe <jane.doe@example.com>"
    assert message["Message-ID"] == "<outbox-7@deskops>"
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    html = message.get_body(("html",))
    assert html is not None
    assert "<b>Jane</b>" in html.get_content()


def test_starttls_with_login_delivers_and_check_summarises(
    make_smtp_sink: MakeSmtpSink, connect: Connect
) -> None:
    sink = make_smtp_sink(starttls=True, auth={USER: PASSWORD})
    mailer = connect(sink.url)

    assert mailer.check() == f"smtp: 127.0.0.1:{sink.port} STARTTLS, logged in as {USER}"
    assert sink.messages == []
    mailer.send(email())

    sink.wait_for(1)
    assert sink.deliveries[0].login == USER


def test_smtps_implicit_tls_with_login_delivers(make_smtp_sink: MakeSmtpSink, connect: Connect) -> None:
    sink = make_smtp_sink(implicit_tls=True, auth={USER: PASSWORD})
    assert sink.url.startswith("smtps://")
    mailer = connect(sink.url)

    assert mailer.check() == f"smtp: 127.0.0.1:{sink.port} SMTPS (implicit TLS), logged in as {USER}"
    mailer.send(email())

    sink.wait_for(1)
    assert sink.deliveries[0].login == USER


def test_check_opens_a_session_and_sends_nothing(smtp_sink: SmtpSink, connect: Connect) -> None:
    assert connect(smtp_sink.url).check() == f"smtp: 127.0.0.1:{smtp_sink.port} plain (no TLS), no login"
    assert smtp_sink.connections == 1
    assert smtp_sink.messages == []


def test_one_connection_carries_many_messages(make_smtp_sink: MakeSmtpSink, connect: Connect) -> None:
    sink = make_smtp_sink(starttls=True, auth={USER: PASSWORD})
    mailer = connect(sink.url)

    for number in range(5):
        mailer.send(email(number))

    sink.wait_for(5)
    assert sink.connections == 1
    assert len({delivery.peer for delivery in sink.deliveries}) == 1


def test_sends_from_several_threads_share_the_connection_and_each_arrives_once(
    smtp_sink: SmtpSink, connect: Connect
) -> None:
    mailer = connect(smtp_sink.url)
    errors: list[BaseException] = []

    def worker(start: int) -> None:
        try:
            for number in range(start, start + 10):
                mailer.send(email(number))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(start,)) for start in (0, 100, 200, 300)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    messages = smtp_sink.wait_for(40)
    ids = sorted(message["Message-ID"] for message in messages)
    assert len(ids) == 40
    assert len(set(ids)) == 40
    assert smtp_sink.connections == 1


def test_close_quits_and_the_next_send_opens_a_new_connection(smtp_sink: SmtpSink, connect: Connect) -> None:
    mailer = connect(smtp_sink.url)
    mailer.send(email(1))
    mailer.close()
    mailer.send(email(2))

    smtp_sink.wait_for(2)
    assert smtp_sink.connections == 2


def test_a_header_injection_in_a_name_adds_no_recipient(smtp_sink: SmtpSink, connect: Connect) -> None:
    evil = "Eve\r\nBcc: attacker@example.net"
    rendered = render_email(
        "test_message",
        to="jane.doe@example.com",
        context={"name": evil, "link": "https://deskops.example.com/"},
        message_id="evil-1",
    )

    connect(smtp_sink.url).send(rendered)

    [message] = smtp_sink.wait_for(1)
    assert smtp_sink.deliveries[0].rcpt_tos == ("jane.doe@example.com",)
    assert message["Bcc"] is None
    assert message["Subject"] == "Test message for Eve Bcc: attacker@example.net from Helpdesk"


# --- recovery ---------------------------------------------------------------------------------


def test_server_down_then_back_the_waiting_message_arrives_exactly_once(
    smtp_sink: SmtpSink, connect: Connect
) -> None:
    mailer = connect(smtp_sink.url)
    mailer.send(email(1))
    smtp_sink.stop()

    error = failure(lambda: mailer.send(email(2)))
    assert str(error) == (
        f"the SMTP server 127.0.0.1:{smtp_sink.port} refused the connection: "
        "check the host and port in SMTP_URL"
    )
    assert error.permanent is False

    smtp_sink.restart()
    mailer.send(email(2))

    messages = smtp_sink.wait_for(2)
    assert [message["Message-ID"] for message in messages] == ["<outbox-1@deskops>", "<outbox-2@deskops>"]


def test_a_connection_the_server_dropped_is_replaced_transparently(
    smtp_sink: SmtpSink, connect: Connect
) -> None:
    mailer = connect(smtp_sink.url)
    mailer.send(email(1))
    smtp_sink.restart()  # cuts the open connection, as a server restart or idle timeout does

    mailer.send(email(2))

    assert len(smtp_sink.wait_for(2)) == 2
    assert smtp_sink.connections == 2


# --- TLS problems -----------------------------------------------------------------------------


def test_certificate_for_another_host_name_is_refused_naming_both(
    make_smtp_sink: MakeSmtpSink, smtp_ca: trustme.CA, connect: Connect
) -> None:
    sink = make_smtp_sink(starttls=True, tls_cert=smtp_ca.issue_cert("mail.example.net"))

    error = failure(lambda: connect(sink.url).send(email()))

    assert str(error).startswith(
        "the SMTP server's TLS certificate does not match the host name 127.0.0.1: "
        "use the name on the certificate (mail.example.net)"
    )
    assert error.permanent is False
    assert sink.messages == []


def test_certificate_from_an_unknown_authority_is_refused(
    make_smtp_sink: MakeSmtpSink, connect: Connect
) -> None:
    rogue = trustme.CA(organization_name="someone else")
    sink = make_smtp_sink(implicit_tls=True, tls_cert=rogue.issue_cert("localhost", "127.0.0.1"))

    error = failure(lambda: connect(sink.url).check())

    assert f"the TLS certificate of the SMTP server 127.0.0.1:{sink.port} is not signed by a trusted" in str(
        error
    )
    assert "add its CA with ?cafile=" in str(error)
    assert error.permanent is False


def test_without_cafile_the_test_ca_is_not_trusted(make_smtp_sink: MakeSmtpSink, connect: Connect) -> None:
    sink = make_smtp_sink(starttls=True)

    error = failure(lambda: connect(sink.url_for(cafile=None)).check())

    assert "is not signed by a trusted authority" in str(error)


def test_starttls_requested_but_not_offered(
    smtp_sink: SmtpSink, smtp_ca_file: Path, connect: Connect
) -> None:
    url = smtp_sink.url_for(starttls=True, cafile=smtp_ca_file)

    error = failure(lambda: connect(url).check())

    assert str(error).startswith(
        f"the SMTP server 127.0.0.1:{smtp_sink.port} does not offer STARTTLS although SMTP_URL asks for "
        "starttls=true"
    )


def test_smtps_against_a_plain_server_suggests_starttls(
    smtp_sink: SmtpSink, smtp_ca_file: Path, connect: Connect
) -> None:
    url = f"smtps://127.0.0.1:{smtp_sink.port}?timeout=5&cafile={smtp_ca_file}"

    error = failure(lambda: connect(url).check())

    assert "does not speak TLS right away" in str(error)
    assert "starttls=true" in str(error)


# --- login problems ---------------------------------------------------------------------------


def test_wrong_password_is_reported_without_revealing_it(
    make_smtp_sink: MakeSmtpSink, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sink = make_smtp_sink(starttls=True, auth={USER: "the-right-one"})
    mailer = connect(sink.url_for(user=USER, password=PASSWORD))

    errors = [failure(mailer.check), failure(lambda: mailer.send(email()))]

    for error in errors:
        assert str(error).startswith(
            f"the SMTP server 127.0.0.1:{sink.port} refused the login for {USER}: "
            "check the user name and password in SMTP_URL"
        )
        assert PASSWORD not in str(error)
        assert error.permanent is False
    ours = [record for record in caplog.records if record.name.startswith("bot")]
    assert ours, "the mailer should log its connection attempts"
    assert all(PASSWORD not in record.getMessage() for record in caplog.records)
    assert sink.messages == []


def test_successful_login_never_logs_the_password(
    make_smtp_sink: MakeSmtpSink, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sink = make_smtp_sink(implicit_tls=True, auth={USER: PASSWORD})

    connect(sink.url).send(email())

    sink.wait_for(1)
    assert any("logged in as helpdesk@example.com" in record.getMessage() for record in caplog.records)
    assert all(PASSWORD not in record.getMessage() for record in caplog.records)


def test_server_requiring_login_when_none_is_configured(
    make_smtp_sink: MakeSmtpSink, connect: Connect
) -> None:
    sink = make_smtp_sink(auth={USER: PASSWORD}, require_auth=True)

    error = failure(lambda: connect(sink.url_for()).send(email()))

    assert str(error).startswith(
        f"the SMTP server 127.0.0.1:{sink.port} requires a login before sending: "
        "add user:password to SMTP_URL"
    )
    assert error.permanent is False


def test_login_offered_only_over_tls_suggests_starttls(
    make_smtp_sink: MakeSmtpSink, connect: Connect
) -> None:
    sink = make_smtp_sink(starttls=True, auth={USER: PASSWORD})
    url = sink.url_for(user=USER, password=PASSWORD, starttls=False, cafile=None)

    error = failure(lambda: connect(url).check())

    assert str(error) == (
        f"the SMTP server 127.0.0.1:{sink.port} does not offer login (AUTH) on this connection: "
        "it may allow login only over TLS: add ?starttls=true (or use smtps://)"
    )


# --- refused messages -------------------------------------------------------------------------


def test_refused_recipient_is_permanent_and_the_connection_stays_usable(
    make_smtp_sink: MakeSmtpSink, connect: Connect
) -> None:
    sink = make_smtp_sink(refuse_recipients={"nobody@example.com"})
    mailer = connect(sink.url)

    error = failure(lambda: mailer.send(email(1, to="nobody@example.com")))
    mailer.send(email(2))

    assert str(error) == (
        "the SMTP server refused the recipient nobody@example.com: "
        "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown"
    )
    assert error.permanent is True
    [message] = sink.wait_for(1)
    assert message["Message-ID"] == "<outbox-2@deskops>"
    assert sink.connections == 1


def test_refused_sender_points_at_mail_from_and_is_not_permanent(
    make_smtp_sink: MakeSmtpSink, connect: Connect
) -> None:
    sink = make_smtp_sink(refuse_senders={SENDER})

    error = failure(lambda: connect(sink.url).send(email()))

    assert f"refused the sender {SENDER}" in str(error)
    assert "check MAIL_FROM" in str(error)
    assert error.permanent is False


def test_message_larger_than_the_server_accepts(make_smtp_sink: MakeSmtpSink, connect: Connect) -> None:
    sink = make_smtp_sink(data_size_limit=4000)
    mailer = connect(sink.url)

    error = failure(lambda: mailer.send(email(1, html="<p>" + "x" * 10_000 + "</p>")))
    mailer.send(email(2))

    assert "is larger than the SMTP server" in str(error)
    assert error.permanent is True
    assert len(sink.wait_for(1)) == 1


# --- network problems -------------------------------------------------------------------------


def test_unknown_host_name(connect: Connect) -> None:
    error = failure(lambda: connect("smtp://mail.example.invalid:25?timeout=2").check())

    assert str(error) == (
        "the SMTP server's host name mail.example.invalid cannot be found: check the host in SMTP_URL"
    )


@contextlib.contextmanager
def _mute_server(*, hang_up: bool) -> Iterator[int]:
    """A TCP server on loopback that never greets: it either hangs up at once or stays silent."""
    stop = threading.Event()
    accepted: list[socket.socket] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(0.05)

        def serve() -> None:
            while not stop.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                if hang_up:
                    client.close()
                else:
                    accepted.append(client)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            yield int(listener.getsockname()[1])
        finally:
            stop.set()
            thread.join()
            for client in accepted:
                client.close()


def test_a_server_that_hangs_up_at_once(connect: Connect) -> None:
    with _mute_server(hang_up=True) as port:
        error = failure(lambda: connect(f"smtp://127.0.0.1:{port}?timeout=2").check())

    assert str(error).startswith(f"the SMTP server 127.0.0.1:{port} closed the connection unexpectedly")
    assert error.permanent is False


def test_a_server_that_never_answers(connect: Connect) -> None:
    with _mute_server(hang_up=False) as port:
        error = failure(lambda: connect(f"smtp://127.0.0.1:{port}?timeout=0.3").check())

    assert str(error).startswith(f"the SMTP server 127.0.0.1:{port} did not answer within 0.3 seconds")
    assert error.permanent is False


def test_nothing_listening(connect: Connect) -> None:
    port = free_port()

    error = failure(lambda: connect(f"smtps://127.0.0.1:{port}").send(email()))

    assert str(error) == (
        f"the SMTP server 127.0.0.1:{port} refused the connection: check the host and port in SMTP_URL"
    )
