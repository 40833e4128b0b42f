"""Listeners in commands/ open no database transaction: the service they call owns its unit of
work (DESIGN.md §2). A listener that opens one fails here."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from tools.imports import ROOT

# Listener modules that may open transactions, and how many: none.
STILL_OPENING: dict[str, int] = {}
UNITS_OF_WORK = {"transaction", "read", "write", "records"}


def transactions_opened(root: Path) -> Counter[str]:
    """`….db.transaction()` / `read()` / `write()` / `records()` calls per module under root."""
    found: Counter[str] = Counter()
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in UNITS_OF_WORK
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr == "db"
            ):
                found[module] += 1
    return found


def test_no_listener_opens_more_transactions_than_it_did() -> None:
    grown = {
        module: count
        for module, count in transactions_opened(ROOT / "commands").items()
        if count > STILL_OPENING.get(module, 0)
    }
    assert grown == {}, "move the transaction into a service in bot/<domain>/ that owns it"


def test_the_count_sees_a_listener_transaction(tmp_path: Path) -> None:
    listeners = tmp_path / "commands"
    listeners.mkdir()
    (listeners / "sample.py").write_text(
        "def handle(deps):\n    with deps.db.transaction() as session:\n        pass\n"
        "    with deps.db.read() as session:\n        pass\n"
    )
    assert transactions_opened(listeners) == Counter({"commands.sample": 2})
