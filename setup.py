"""Packaging beyond what pyproject.toml can declare: the wheel carries the Alembic migrations and
the Slack app manifest inside the `bot` package (as `bot/_shipped/`), while the repository keeps
them at its top (`alembic/`, `app.yaml`). bot/resources.py reads them from either place."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = {"alembic": "alembic", "app.yaml": "app.yaml"}


class BuildWithShippedFiles(build_py):  # type: ignore[misc]
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "bot" / "_shipped"
        for source, name in SHIPPED.items():
            path = ROOT / source
            if path.is_dir():
                shutil.copytree(
                    path,
                    target / name,
                    dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                )
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / name)


setup(cmdclass={"build_py": BuildWithShippedFiles})
