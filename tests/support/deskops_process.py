"""`deskops serve` as a real process, for tests that must kill it (`kill -9`) and start it again.

    server = DeskopsProcess(env, log_path=tmp_path / "serve.log").start()
    emulator.events_url = server.events_url
    ...
    server.kill()        # SIGKILL: no shutdown code runs, exactly as a crash or an OOM kill
    server.start()       # the same settings, port and database
    server.stop()        # SIGTERM, then SIGKILL after a grace period

Everything the process logs (formatted by deskops' own RedactingFormatter) is appended to
`log_path`, across restarts, so a test can check it too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

from tests.support.net import free_port

DESKOPS = Path(sys.executable).with_name("deskops")


class DeskopsProcess:
    def __init__(self, env: dict[str, str], *, log_path: Path, cwd: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(cwd),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "PUBLIC_URL": f"http://127.0.0.1:{self.port}",
            **env,
        }
        self.log_path = log_path
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"

    def start(self, timeout: float = 30.0) -> DeskopsProcess:
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("deskops serve is already running")
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(DESKOPS), "serve"], cwd=self.cwd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"deskops serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1, trust_env=False).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise TimeoutError(f"deskops serve was not ready after {timeout:g}s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: the process ends at once, in the middle of whatever it was doing."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._close_log()

    def stop(self, grace: float = 15.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
