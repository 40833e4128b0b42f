"""`deskops users import FILE.csv --customer NAME` as an operator runs it: a real process, the same
checks as /backup import (every problem by row and column, exit 1, nothing created), then every
row added with a progress bar."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.integration.test_cli import SAMPLE, deskops, env

__all__ = ["env"]
HEADER = "first_name,last_name,email,role,notification_email,address,phone,subscription,notifications"


def users(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "cli.db") as connection:
        return sorted(connection.execute("SELECT email, created_by FROM backup_users").fetchall())


def test_a_file_with_problems_lists_each_and_creates_nothing_then_a_good_one_is_imported(
    env: dict[str, str], tmp_path: Path
) -> None:
    deskops("db", "upgrade", env=env, cwd=tmp_path)
    deskops("customers", "import", str(SAMPLE), env=env, cwd=tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"{HEADER}\nAl,Good,al@acme.example,,,,,,\n,Nofirst,x@acme.example,,,,,,\nA,B,al@acme.example,,,,,,\n"
    )
    result = deskops("users", "import", str(bad), "--customer", "Acme", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "Row 3, first_name: Enter a first name." in result.stderr
    assert "Row 4, email: the same e-mail as row 2." in result.stderr
    assert "2 of 3 rows need correcting; nothing was imported." in result.stderr
    assert users(tmp_path) == []

    rows = [f"First{i},Last{i},user{i:03d}@acme.example,,,,,PAYG,All" for i in range(120)]
    good = tmp_path / "good.csv"
    good.write_bytes(("\ufeff" + "\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8"))
    result = deskops("users", "import", str(good), "--customer", "Acme", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"[{'#' * 30}] 120/120 · created 120 · waiting for approval 0 · failed 0" in result.stderr
    assert "imported good.csv for Acme Corporation: 120 created, 0 waiting for approval, 0 failed" in (
        result.stdout.replace(str(tmp_path) + "/", "")
    )
    assert len(users(tmp_path)) == 120 and users(tmp_path)[0] == ("user000@acme.example", "cli")


def test_the_customer_must_be_named_when_there_are_several_and_a_bad_file_says_why(
    env: dict[str, str], tmp_path: Path
) -> None:
    deskops("db", "upgrade", env=env, cwd=tmp_path)
    deskops("customers", "import", str(SAMPLE), env=env, cwd=tmp_path)
    good = tmp_path / "one.csv"
    good.write_text(f"{HEADER}\nA,B,a@acme.example,,,,,,\n")
    result = deskops("users", "import", str(good), env=env, cwd=tmp_path)
    assert result.returncode == 1 and "Name the customer: --customer NAME" in result.stderr
    result = deskops("users", "import", str(good), "--customer", "Umbrella", env=env, cwd=tmp_path)
    assert result.returncode == 1 and "No customer is called “Umbrella”" in result.stderr
    excel = tmp_path / "staff.csv"
    excel.write_bytes(b"PK\x03\x04 a workbook")
    result = deskops("users", "import", str(excel), "--customer", "Acme", env=env, cwd=tmp_path)
    assert result.returncode == 1 and "Excel workbook, not a CSV file" in result.stderr
    assert "Traceback" not in result.stderr
