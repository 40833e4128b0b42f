"""Fault injection for the Acronis emulator: what a real data center sometimes does.

emulator.fail("PUT", r"/users/[^/]+/access_policies", status=500)          # once
emulator.fail("POST", "/users", status=500, apply_first=True)             # created, then 500
emulator.fail("POST", "/users", status=None, delay=2.0, apply_first=True) # created, slow answer
emulator.fail("GET", "/tenants/.*", status=429, retry_after="1", times=2)
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field


@dataclass
class Fault:
    method: str
    path: str  # regular expression matched against the whole path after /api/2
    status: int | None = 500  # None: the normal answer (with `delay`)
    times: int | None = 1  # None: until cleared
    retry_after: str | None = None
    apply_first: bool = False  # carry out the request, then answer with the fault
    delay: float = 0.0  # seconds before answering
    message: str = "Internal server error"
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return method == self.method.upper() and re.fullmatch(self.path, path) is not None

    @property
    def spent(self) -> bool:
        return self.times is not None and self.hits >= self.times


@dataclass
class Faults:
    _items: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._items.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first live fault for this request, counted as hit."""
        with self._lock:
            for fault in self._items:
                if not fault.spent and fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None
