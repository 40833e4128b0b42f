"""SmtpMailer against real servers that fail: the MailError sentences a helpdesk person acts on."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.support.mail import Connect, outgoing_email, raised_mail_error
from tests.support.net import free_port
from tests.support.smtp_sink import MakeSmtpSink, SmtpSink

USER = "helpdesk@example.com"
PASSWORD = "Tr0ub4dor&3/s3cret"


# --- TLS problems -----------------------------------------------------------------------------


def test_certificate_for_another_host_name_is_refused_naming_both(
    make_smtp_sink: MakeSmtpSink, smtp_ca: trustme.CA, connect: Connect
) -> None:
    sink = make_smtp_sink(starttls=True, tls_cert=smtp_ca.issue_cert("mail.example.net"))

    error = raised_mail_error(lambda: connect(sink.url).send(outgoing_email()))

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

    error = raised_mail_error(lambda: connect(sink.url).check())

    assert f"the TLS certificate of the SMTP server 127.0.0.1:{sink.port} is not signed by a trusted" in str(
        error
    )
    assert "add its CA with ?cafile=" in str(error)
    assert error.permanent is False


def test_without_cafile_the_test_ca_is_not_trusted(make_smtp_sink: MakeSmtpSink, connect: Connect) -> None:
    sink = make_smtp_sink(starttls=True)

    error = raised_mail_error(lambda: connect(sink.url_for(cafile=None)).check())

    assert "is not signed by a trusted authority" in str(error)


def test_starttls_requested_but_not_offered(
    smtp_sink: SmtpSink, smtp_ca_file: Path, connect: Connect
) -> None:
    url = smtp_sink.url_for(starttls=True, cafile=smtp_ca_file)

    error = raised_mail_error(lambda: connect(url).check())

    assert str(error).startswith(
        f"the SMTP server 127.0.0.1:{smtp_sink.port} does not offer STARTTLS although SMTP_URL asks for "
        "starttls=true"
    )


def test_smtps_against_a_plain_server_suggests_starttls(
    smtp_sink: SmtpSink, smtp_ca_file: Path, connect: Connect
) -> None:
    url = f"smtps://127.0.0.1:{smtp_sink.port}?timeout=5&cafile={smtp_ca_file}"

    error = raised_mail_error(lambda: connect(url).check())

    assert "does not speak TLS right away" in str(error)
    assert "starttls=true" in str(error)


# --- login problems ---------------------------------------------------------------------------


def test_wrong_password_is_reported_without_revealing_it(
    make_smtp_sink: MakeSmtpSink, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sink = make_smtp_sink(starttls=True, auth={USER: "the-right-one"})
    mailer = connect(sink.url_for(user=USER, password=PASSWORD))

    errors = [raised_mail_error(mailer.check), raised_mail_error(lambda: mailer.send(outgoing_email()))]

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

    connect(sink.url).send(outgoing_email())

    sink.wait_for(1)
    assert any("logged in as helpdesk@example.com" in record.getMessage() for record in caplog.records)
    assert all(PASSWORD not in record.getMessage() for record in caplog.records)


def test_server_requiring_login_when_none_is_configured(
    make_smtp_sink: MakeSmtpSink, connect: Connect
) -> None:
    sink = make_smtp_sink(auth={USER: PASSWORD}, require_auth=True)

    error = raised_mail_error(lambda: connect(sink.url_for()).send(outgoing_email()))

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

    error = raised_mail_error(lambda: connect(url).check())

    assert str(error) == (
        f"the SMTP server 127.0.0.1:{sink.port} does not offer login (AUTH) on this connection: "
        "it may allow login only over TLS: add ?starttls=true (or use smtps://)"
    )


# --- network problems -------------------------------------------------------------------------


def test_unknown_host_name(connect: Connect) -> None:
    error = raised_mail_error(lambda: connect("smtp://mail.example.invalid:25?timeout=2").check())

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
        error = raised_mail_error(lambda: connect(f"smtp://127.0.0.1:{port}?timeout=2").check())

    assert str(error).startswith(f"the SMTP server 127.0.0.1:{port} closed the connection unexpectedly")
    assert error.permanent is False


def test_a_server_that_never_answers(connect: Connect) -> None:
    with _mute_server(hang_up=False) as port:
        error = raised_mail_error(lambda: connect(f"smtp://127.0.0.1:{port}?timeout=0.3").check())

    assert str(error).startswith(f"the SMTP server 127.0.0.1:{port} did not answer within 0.3 seconds")
    assert error.permanent is False


def test_nothing_listening(connect: Connect) -> None:
    port = free_port()

    error = raised_mail_error(lambda: connect(f"smtps://127.0.0.1:{port}").send(outgoing_email()))

    assert str(error) == (
        f"the SMTP server 127.0.0.1:{port} refused the connection: check the host and port in SMTP_URL"
    )
