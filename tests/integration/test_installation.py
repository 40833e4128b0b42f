"""deskops' top-level packages are its own: another distribution, or a folder on the Python path,
that provides `commands` (or `bot`, `blocks`…) stops every command with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.installation import version


def deskops(*args: str, cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env["DATABASE_URL"] = f"sqlite:///{cwd / 'deskops.db'}"
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-m", "deskops", *args],
        env=env,
        cwd=cwd,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version as installed

    assert version() == installed("deskops")
    result = subprocess.run(
        [sys.executable, "-m", "deskops", "--version"], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout == f"deskops {installed('deskops')}\n"


def test_another_distribution_with_a_package_of_the_same_name_stops_deskops(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "commands").mkdir(parents=True)
    (site / "commands" / "__init__.py").write_text("RAN = 'someone else'\n")
    info = site / "slackcommands-2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: slackcommands\nVersion: 2.0\n")
    (info / "top_level.txt").write_text("commands\n")
    (info / "RECORD").write_text("commands/__init__.py,,\n")
    result = deskops("db", "upgrade", cwd=tmp_path, pythonpath=site)
    assert result.returncode == 2
    assert result.stderr.startswith("deskops cannot start: its packages are not its own:")
    assert "the top-level package `commands` is also installed by slackcommands" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "deskops.db").exists()


def test_a_folder_named_like_a_package_in_the_working_folder_stops_deskops(tmp_path: Path) -> None:
    (tmp_path / "blocks").mkdir()
    (tmp_path / "blocks" / "__init__.py").write_text("")
    result = deskops("db", "upgrade", cwd=tmp_path)  # `python -m` puts the working folder first
    assert result.returncode == 2
    assert (
        f"`blocks` is imported from {tmp_path / 'blocks' / '__init__.py'}, not from deskops" in result.stderr
    )
    clean = tmp_path / "elsewhere"
    clean.mkdir()
    assert deskops("db", "upgrade", cwd=clean).returncode == 0
