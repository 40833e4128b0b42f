"""A loopback HTTP server that records every request it receives: the `response_url` a forged
request names, so a test can tell whether deskops called out to it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Trap:
    url: str
    hits: list[tuple[str, str, bytes]] = field(default_factory=list)


@contextmanager
def outbound_trap() -> Iterator[Trap]:
    """A server on 127.0.0.1 (port 0) answering 200 to anything and remembering it."""
    trap = Trap(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            with lock:
                trap.hits.append((self.command, self.path, body))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        do_GET = do_POST = do_PUT = _record

        def log_message(self, format: str, *args: object) -> None:  # quiet: the test reads `hits`
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    trap.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/forged"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield trap
    finally:
        server.shutdown()
        server.server_close()
