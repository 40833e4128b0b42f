"""requirements.lock: exact versions, with hashes, of everything deskops runs, builds and tests with.

`python tools/lock.py compile` (what `make lock` runs) resolves pyproject.toml's requirements with uv
and writes the lock, headed by a fingerprint of those requirements; `python tools/lock.py check`
(what `make install` runs before installing) compares the fingerprint and says "run make lock"
when pyproject.toml changed since. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements.lock"
FINGERPRINT_PREFIX = "# pyproject.toml requirements fingerprint: "
# The platform the lock is resolved for: CPython 3.11 on x86-64 Linux (this machine, CI, the image).
TARGET = ["--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28"]


def locked_inputs(pyproject: dict[str, object]) -> dict[str, list[str]]:
    """The requirement lists the lock is made from: runtime, the test extra and the build backend."""
    project = pyproject["project"]
    build = pyproject["build-system"]
    assert isinstance(project, dict)
    assert isinstance(build, dict)
    return {
        "requires-python": [str(project.get("requires-python", ""))],
        "dependencies": [str(r) for r in project.get("dependencies", [])],
        "test": [str(r) for r in project.get("optional-dependencies", {}).get("test", [])],
        "build-system": [str(r) for r in build.get("requires", [])],
    }


def fingerprint(pyproject_text: str) -> str:
    inputs = locked_inputs(tomllib.loads(pyproject_text))
    normalised = {key: sorted("".join(r.split()).lower() for r in value) for key, value in inputs.items()}
    return hashlib.sha256(json.dumps(normalised, sort_keys=True).encode()).hexdigest()


def recorded_fingerprint(lock_text: str) -> str | None:
    for line in lock_text.splitlines():
        if line.startswith(FINGERPRINT_PREFIX):
            return line.removeprefix(FINGERPRINT_PREFIX).strip()
    return None


def check() -> int:
    if not LOCK.exists():
        print("requirements.lock is missing: run `make lock`", file=sys.stderr)
        return 1
    expected = fingerprint(PYPROJECT.read_text(encoding="utf-8"))
    if recorded_fingerprint(LOCK.read_text(encoding="utf-8")) != expected:
        print(
            "pyproject.toml and requirements.lock disagree (requirements changed since the lock was "
            "made): run `make lock` and commit requirements.lock with pyproject.toml",
            file=sys.stderr,
        )
        return 1
    return 0


def compile_lock(uv: str) -> int:
    pyproject_text = PYPROJECT.read_text(encoding="utf-8")
    build_requires = locked_inputs(tomllib.loads(pyproject_text))["build-system"]
    with tempfile.TemporaryDirectory() as folder:
        build_in = Path(folder) / "build-system.in"
        build_in.write_text("\n".join(build_requires) + "\n", encoding="utf-8")
        output = Path(folder) / "requirements.lock"
        if LOCK.exists():  # keep the current pins where they still fit: a re-lock changes only what must
            output.write_text(LOCK.read_text(encoding="utf-8"), encoding="utf-8")
        command = [
            uv, "pip", "compile", "--quiet", "--generate-hashes", "--extra", "test",
            *TARGET, "--no-header", "--output-file", str(output),
            "pyproject.toml", str(build_in),
        ]  # fmt: skip
        result = subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603 (the uv given by make lock)
        if result.returncode != 0:
            return result.returncode
        body = output.read_text(encoding="utf-8").replace(str(build_in), "build-system.requires")
    header = (
        "# Exact versions and hashes of deskops' runtime, test and build requirements.\n"
        "# Made by `make lock` (uv pip compile) from pyproject.toml; installed by `make install`\n"
        "# with pip --require-hashes. Do not edit: change pyproject.toml and run `make lock`.\n"
        f"{FINGERPRINT_PREFIX}{fingerprint(pyproject_text)}\n"
    )
    LOCK.write_text(header + body, encoding="utf-8")
    print(f"wrote {LOCK.relative_to(ROOT)}")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"]:
        return check()
    if argv[:1] == ["compile"] and len(argv) == 2:
        return compile_lock(argv[1])
    print("usage: tools/lock.py check | compile UV", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
