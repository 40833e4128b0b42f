"""LDAP connections: how one is made, and bound ones kept for the next search.

A Search click waits for its directory answer, and a fresh connection costs a TCP connect, a
bind (and StartTLS or a TLS handshake when configured) before the search itself: on a local
slapd that is a fifth of the search. A connection that served a search is kept here and reused
by the next one, if it comes within `max_idle` seconds (servers drop idle connections: Active
Directory after 15 minutes) and the server has not spoken to it meanwhile (a server only speaks
to an idle connection to end it: a Notice of Disconnection, or the end of the stream). Each
connection serves one thread at a time: it is taken out while in use.
"""

from __future__ import annotations

import select
import threading
import time
from collections import deque
from contextlib import suppress

from ldap3 import Connection, Server, Tls


def new_connection(
    host: str,
    port: int,
    use_ssl: bool,
    tls: Tls | None,
    timeout: float,
    bind_dn: str | None,
    bind_password: str | None,
) -> Connection:
    """Not yet opened nor bound."""
    # A new Server each time: ldap3's Server remembers an address that failed once as
    # unavailable for minutes, so a shared one would keep failing after the directory is back.
    server = Server(host, port=port, use_ssl=use_ssl, tls=tls, get_info="NO_INFO", connect_timeout=timeout)
    return Connection(
        server,
        user=bind_dn,
        password=bind_password,
        read_only=True,
        raise_exceptions=False,
        auto_range=False,  # ranges are followed by iter_ranged_values, streaming
        return_empty_attributes=False,  # ldap3 mishandles it together with ranged attributes
        auto_referrals=False,
        # ldap3 packs receive_timeout into SO_RCVTIMEO as whole seconds (0.5 fails, 0 means
        # never). Left unset, the socket keeps Server.connect_timeout - a float - for every
        # later read, TLS handshake included, which is the behaviour wanted.
        receive_timeout=None,
    )


def _server_has_spoken(connection: Connection) -> bool:
    sock = connection.socket
    if sock is None or connection.closed:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class ConnectionPool:
    def __init__(self, *, max_idle: float = 60.0, max_kept: int = 4) -> None:
        self.max_idle = max_idle
        self.max_kept = max_kept
        self._idle: deque[tuple[Connection, float]] = deque()
        self._lock = threading.Lock()

    def take(self) -> Connection | None:
        """A kept connection that is still usable, or None (the caller opens a new one)."""
        while True:
            with self._lock:
                if not self._idle:
                    return None
                connection, since = self._idle.pop()  # the most recently used first
            if time.monotonic() - since <= self.max_idle and not _server_has_spoken(connection):
                return connection
            discard(connection)

    def give_back(self, connection: Connection) -> None:
        with self._lock:
            if len(self._idle) < self.max_kept:
                self._idle.append((connection, time.monotonic()))
                return
        discard(connection)

    def close(self) -> None:
        with self._lock:
            kept, self._idle = list(self._idle), deque()
        for connection, _ in kept:
            discard(connection)


def discard(connection: Connection) -> None:
    with suppress(Exception):
        connection.unbind()
