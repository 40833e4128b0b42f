"""A real SMTP server in-process (aiosmtpd) for tests: plain, STARTTLS or SMTPS, with login.

    sink = SmtpSink(tls_cert=cert, cafile=ca_file, starttls=True, auth={"helpdesk": "s3cret"})
    sink.start()
    mailer = build_mailer(sink.url, mail_from="helpdesk@example.com", timeout=5)
    ...
    [message] = sink.wait_for(1)
    sink.stop()

Fixtures (import them into a conftest: see tests/integration/conftest.py): `smtp_ca`,
`smtp_ca_file`, `smtp_server_cert`, `make_smtp_sink` (started sinks, stopped after the test)
and `smtp_sink` (a plain sink without login).
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import threading
import time
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from tests.support.net import free_port
from tests.support.relay_rules import RelayRules

LOOPBACK = "127.0.0.1"
SERVER_CERT_NAMES = ("localhost", LOOPBACK)


@dataclass(frozen=True)
class Delivery:
    """One accepted message with its envelope and where it came from."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    mail_options: tuple[str, ...]
    peer: tuple[str, int]  # the client's address and port: one per connection
    login: str | None
    message: EmailMessage


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        if self.sink.rules is not None:
            refused = self.sink.rules.on_mail(server)
            if refused is not None:
                return refused
        if address.lower() in self.sink.refuse_senders:
            return f"553 5.7.1 <{address}>: Sender address rejected: not owned by user"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.sink.refuse_recipients:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=default_policy).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        peer = session.peer
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.sink._record(
            Delivery(
                mail_from=envelope.mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                mail_options=tuple(envelope.mail_options),
                peer=(str(peer[0]), int(peer[1])),
                login=login,
                message=message,
            )
        )
        return "250 2.0.0 Message accepted for delivery"


class _CountingSMTP(SMTP):
    """Counts client sessions (first EHLO/HELO per TCP connection) and keeps its transport."""

    def __init__(self, handler: Any, sink: SmtpSink, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._sink = sink
        self._counted = False

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._sink._clients.add(self)
        if self._sink.rules is not None:
            self._sink.rules.opened(self)

    def connection_lost(self, error: Exception | None) -> None:
        self._sink._clients.discard(self)
        if self._sink.rules is not None:
            self._sink.rules.closed(self)
        super().connection_lost(error)

    def _count(self) -> None:
        if not self._counted:
            self._counted = True
            self._sink._count_connection()

    async def smtp_EHLO(self, hostname: str) -> None:
        self._count()
        await super().smtp_EHLO(hostname)

    async def smtp_HELO(self, hostname: str) -> None:
        self._count()
        await super().smtp_HELO(hostname)

    def abort(self) -> None:
        transport = self._original_transport or self.transport
        if isinstance(transport, asyncio.Transport):
            transport.abort()


class _Controller(Controller):
    def __init__(self, sink: SmtpSink, **kwargs: Any) -> None:
        self._sink = sink
        super().__init__(_Handler(sink), **kwargs)

    def factory(self) -> SMTP:
        with warnings.catch_warnings():
            # A plain-only sink that requires login is deliberate (loopback tests only).
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
            return _CountingSMTP(self.handler, self._sink, **self.SMTP_kwargs)


class SmtpSink:
    """aiosmtpd bound to a loopback port; keeps every accepted message (across restarts)."""

    def __init__(
        self,
        *,
        tls_cert: trustme.LeafCert | None = None,
        cafile: Path | None = None,
        starttls: bool = False,
        implicit_tls: bool = False,
        auth: Mapping[str, str] | None = None,
        require_auth: bool = False,
        data_size_limit: int | None = None,
        refuse_recipients: Collection[str] = (),
        refuse_senders: Collection[str] = (),
        rules: RelayRules | None = None,
        host: str = LOOPBACK,
        port: int | None = None,
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError("the SMTP sink binds loopback addresses only")
        if (starttls or implicit_tls) and tls_cert is None:
            raise ValueError("starttls/implicit_tls need a tls_cert (e.g. the smtp_server_cert fixture)")
        if starttls and implicit_tls:
            raise ValueError("choose starttls or implicit_tls, not both")
        self.tls_cert = tls_cert
        self.cafile = cafile
        self.starttls = starttls
        self.implicit_tls = implicit_tls
        self.auth = dict(auth or {})
        self.require_auth = require_auth
        self.data_size_limit = data_size_limit
        self.refuse_recipients = {address.lower() for address in refuse_recipients}
        self.refuse_senders = {address.lower() for address in refuse_senders}
        self.rules = rules
        self.host = host
        self.port = port or free_port(host)
        self._controller: _Controller | None = None
        self._clients: set[_CountingSMTP] = set()
        self._deliveries: list[Delivery] = []
        self._arrivals: list[float] = []  # time.monotonic() of each accepted message
        self._connections = 0
        self._changed = threading.Condition()

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> SmtpSink:
        if self._controller is not None:
            raise RuntimeError("the SMTP sink is already running")
        kwargs: dict[str, Any] = {"hostname": self.host, "port": self.port, "server_hostname": "sink.test"}
        context = self._server_tls_context()
        if self.implicit_tls:
            kwargs["ssl_context"] = context
        elif self.starttls:
            kwargs["tls_context"] = context
        if self.data_size_limit is not None:
            kwargs["data_size_limit"] = self.data_size_limit
        if self.auth or self.require_auth:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_required"] = self.require_auth
            # With TLS available, login is offered only once the session is encrypted (as real
            # servers do); a plain-only sink offers it in the clear (loopback tests only).
            kwargs["auth_require_tls"] = self.tls_cert is not None and not self.implicit_tls
        controller = _Controller(self, **kwargs)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening and cut every open client connection (as a crashed server would)."""
        controller, self._controller = self._controller, None
        if controller is None:
            return
        controller.loop.call_soon_threadsafe(self._abort_clients)
        controller.stop()

    def restart(self) -> SmtpSink:
        """Stop, then listen again on the same port; received messages are kept."""
        self.stop()
        deadline = time.monotonic() + 5
        while True:
            try:
                return self.start()
            except OSError:  # the port may linger for a moment
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- what tests read ------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def url(self) -> str:
        """An SMTP_URL for this sink (with the first login of `auth`, if any)."""
        user, password = next(iter(self.auth.items()), (None, None))
        return self.url_for(user=user, password=password)

    def url_for(
        self,
        *,
        user: str | None = None,
        password: str | None = None,
        host: str | None = None,
        starttls: bool | None = None,
        cafile: Path | bool | None = True,
        timeout: float = 5.0,
    ) -> str:
        """An SMTP_URL with other credentials or options; `cafile=True` means the sink's own."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        userinfo = ""
        if user is not None:
            userinfo = quote(user, safe="")
            if password is not None:
                userinfo += ":" + quote(password, safe="")
            userinfo += "@"
        options = [f"timeout={timeout:g}"]
        if starttls if starttls is not None else self.starttls:
            options.append("starttls=true")
        ca = self.cafile if cafile is True else cafile
        if isinstance(ca, Path):
            options.append(f"cafile={quote(str(ca))}")
        return f"{scheme}://{userinfo}{host or self.host}:{self.port}?{'&'.join(options)}"

    @property
    def deliveries(self) -> list[Delivery]:
        with self._changed:
            return list(self._deliveries)

    @property
    def messages(self) -> list[EmailMessage]:
        with self._changed:
            return [delivery.message for delivery in self._deliveries]

    @property
    def arrival_times(self) -> list[float]:
        """When each message was accepted (time.monotonic(), in order)."""
        with self._changed:
            return list(self._arrivals)

    @property
    def connections(self) -> int:
        """Client sessions opened so far (a session that only did STARTTLS counts once)."""
        with self._changed:
            return self._connections

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """The messages, once at least `count` have arrived; AssertionError after `timeout`."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._deliveries) >= count, timeout):
                raise AssertionError(
                    f"the SMTP sink received {len(self._deliveries)} message(s), expected {count} "
                    f"within {timeout:g}s"
                )
            return [delivery.message for delivery in self._deliveries]

    def clear(self) -> None:
        with self._changed:
            self._deliveries.clear()
            self._arrivals.clear()
            self._connections = 0

    # --- internals ------------------------------------------------------------------------

    def _server_tls_context(self) -> ssl.SSLContext | None:
        if self.tls_cert is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.tls_cert.configure_cert(context)
        return context

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        ok = login in self.auth and self.auth[login] == password
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    def _abort_clients(self) -> None:
        for client in list(self._clients):
            client.abort()

    def _record(self, delivery: Delivery) -> None:
        with self._changed:
            self._arrivals.append(time.monotonic())
            self._deliveries.append(delivery)
            self._changed.notify_all()

    def _count_connection(self) -> None:
        with self._changed:
            self._connections += 1
            self._changed.notify_all()


# --- pytest fixtures ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_ca() -> trustme.CA:
    """The test CA that signs the sink's certificates (trusted through ?cafile=)."""
    return trustme.CA(organization_name="deskops test CA")


@pytest.fixture(scope="session")
def smtp_ca_file(smtp_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("smtp-ca") / "ca.pem"
    smtp_ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="session")
def smtp_server_cert(smtp_ca: trustme.CA) -> trustme.LeafCert:
    """A certificate for localhost and 127.0.0.1, signed by `smtp_ca`."""
    return smtp_ca.issue_cert(*SERVER_CERT_NAMES)


MakeSmtpSink = Callable[..., SmtpSink]


@pytest.fixture
def make_smtp_sink(smtp_server_cert: trustme.LeafCert, smtp_ca_file: Path) -> Iterator[MakeSmtpSink]:
    """`make_smtp_sink(**SmtpSink kwargs)` -> a started sink, stopped after the test.

    With starttls/implicit_tls the sink uses `smtp_server_cert` unless `tls_cert` is given, and
    its URL trusts `smtp_ca_file` unless `cafile` is given.
    """
    sinks: list[SmtpSink] = []

    def make(**kwargs: Any) -> SmtpSink:
        if kwargs.get("starttls") or kwargs.get("implicit_tls"):
            kwargs.setdefault("tls_cert", smtp_server_cert)
            kwargs.setdefault("cafile", smtp_ca_file)
        sink = SmtpSink(**kwargs)
        sinks.append(sink)
        return sink.start()

    yield make
    for sink in sinks:
        sink.stop()


@pytest.fixture
def smtp_sink(make_smtp_sink: MakeSmtpSink) -> SmtpSink:
    """A started plain SMTP sink without login; `smtp_sink.url` is the SMTP_URL to use."""
    return make_smtp_sink()
