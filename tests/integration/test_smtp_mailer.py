"""SmtpMailer against a real SMTP server (aiosmtpd on loopback): delivery, reuse, recovery, refusals."""

from __future__ import annotations

import threading
from dataclasses import replace

from bot.integrations.mail.factory import build_mailer
from bot.integrations.mail.render import render_email
from tests.support.mail import MAIL_FROM as SENDER
from tests.support.mail import Connect, outgoing_email, raised_mail_error
from tests.support.smtp_sink import MakeSmtpSink, SmtpSink

USER = "helpdesk@example.com"
PASSWORD = "Tr0ub4dor&3/s3cret"


# --- delivery ---------------------------------------------------------------------------------


def test_plain_delivery_arrives_with_headers_envelope_and_both_parts(
    smtp_sink: SmtpSink, connect: Connect
) -> None:
    mailer = connect(smtp_sink.url)

    mailer.send(outgoing_email(7, to="Jane Doe <jane.doe@example.com>", html="<p>Hi <b>Jane</b></p>"))

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


def test_lines_that_begin_with_a_dot_arrive_as_written(smtp_sink: SmtpSink, connect: Connect) -> None:
    # SMTP ends a message at a line holding one dot: the mailer doubles a leading dot and the
    # server takes it away again (RFC 5321 4.5.2).
    text = ".starts with a dot\n..two of them\n.\nand the end"
    mailer = connect(smtp_sink.url)

    mailer.send(replace(outgoing_email(8), text=text, html="<p>.</p>\n.<p>dot</p>"))

    [message] = smtp_sink.wait_for(1)
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n").rstrip("\n") == text
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == "<p>.</p>\n.<p>dot</p>"


def test_starttls_with_login_delivers_and_check_summarises(
    make_smtp_sink: MakeSmtpSink, connect: Connect
) -> None:
    sink = make_smtp_sink(starttls=True, auth={USER: PASSWORD})
    mailer = connect(sink.url)

    assert mailer.check() == f"smtp: 127.0.0.1:{sink.port} STARTTLS, logged in as {USER}"
    assert sink.messages == []
    mailer.send(outgoing_email())

    sink.wait_for(1)
    assert sink.deliveries[0].login == USER


def test_smtps_implicit_tls_with_login_delivers(make_smtp_sink: MakeSmtpSink, connect: Connect) -> None:
    sink = make_smtp_sink(implicit_tls=True, auth={USER: PASSWORD})
    assert sink.url.startswith("smtps://")
    mailer = connect(sink.url)

    assert mailer.check() == f"smtp: 127.0.0.1:{sink.port} SMTPS (implicit TLS), logged in as {USER}"
    mailer.send(outgoing_email())

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
        mailer.send(outgoing_email(number))

    sink.wait_for(5)
    assert sink.connections == 1
    assert len({delivery.peer for delivery in sink.deliveries}) == 1


def test_sends_from_several_threads_share_at_most_max_connections_and_each_arrives_once(
    smtp_sink: SmtpSink,
) -> None:
    # Four threads, two connections (OUTBOX_THREADS=2): a message waits for one, never opens a third.
    mailer = build_mailer(smtp_sink.url, mail_from=SENDER, timeout=5, connections=2)
    errors: list[BaseException] = []

    def worker(start: int) -> None:
        try:
            for number in range(start, start + 10):
                mailer.send(outgoing_email(number))
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
    assert smtp_sink.connections in (1, 2)  # 2 unless one thread was done before the next began
    mailer.close()


def test_close_quits_and_the_next_send_opens_a_new_connection(smtp_sink: SmtpSink, connect: Connect) -> None:
    mailer = connect(smtp_sink.url)
    mailer.send(outgoing_email(1))
    mailer.close()
    mailer.send(outgoing_email(2))

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
    mailer.send(outgoing_email(1))
    smtp_sink.stop()

    error = raised_mail_error(lambda: mailer.send(outgoing_email(2)))
    assert str(error) == (
        f"the SMTP server 127.0.0.1:{smtp_sink.port} refused the connection: "
        "check the host and port in SMTP_URL"
    )
    assert error.permanent is False

    smtp_sink.restart()
    mailer.send(outgoing_email(2))

    messages = smtp_sink.wait_for(2)
    assert [message["Message-ID"] for message in messages] == ["<outbox-1@deskops>", "<outbox-2@deskops>"]


def test_a_connection_the_server_dropped_is_replaced_transparently(
    smtp_sink: SmtpSink, connect: Connect
) -> None:
    mailer = connect(smtp_sink.url)
    mailer.send(outgoing_email(1))
    smtp_sink.restart()  # cuts the open connection, as a server restart or idle timeout does

    mailer.send(outgoing_email(2))

    assert len(smtp_sink.wait_for(2)) == 2
    assert smtp_sink.connections == 2


# --- refused messages -------------------------------------------------------------------------


def test_refused_recipient_is_permanent_and_the_connection_stays_usable(
    make_smtp_sink: MakeSmtpSink, connect: Connect
) -> None:
    sink = make_smtp_sink(refuse_recipients={"nobody@example.com"})
    mailer = connect(sink.url)

    error = raised_mail_error(lambda: mailer.send(outgoing_email(1, to="nobody@example.com")))
    mailer.send(outgoing_email(2))

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

    error = raised_mail_error(lambda: connect(sink.url).send(outgoing_email()))

    assert f"refused the sender {SENDER}" in str(error)
    assert "check MAIL_FROM" in str(error)
    assert error.permanent is False


def test_message_larger_than_the_server_accepts(make_smtp_sink: MakeSmtpSink, connect: Connect) -> None:
    sink = make_smtp_sink(data_size_limit=4000)
    mailer = connect(sink.url)

    error = raised_mail_error(lambda: mailer.send(outgoing_email(1, html="<p>" + "x" * 10_000 + "</p>")))
    mailer.send(outgoing_email(2))

    assert "is larger than the SMTP server" in str(error)
    assert error.permanent is True
    assert len(sink.wait_for(1)) == 1
