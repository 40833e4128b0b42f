"""The lock files: exact versions, with hashes, of what deskops runs and builds with
(requirements.lock) and of that plus what its tests use (requirements-test.lock).

`python tools/lock.py compile UV` (what `make lock` runs) resolves pyproject.toml's requirements with
uv and writes both locks, each headed by a fingerprint of the requirements it was made from; `python tools/lock.py check`
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
FINGERPRINT_PREFIX = "# pyproject.toml requirements fingerprint: "
# The platform the locks are resolved for: CPython 3.11 on x86-64 Linux (this machine, CI, the image).
TARGET = ["--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28"]


@dataclass(frozen=True)
class Lock:
    path: Path
    parts: tuple[str, ...]  # which of locked_inputs() it pins
    extras: tuple[str, ...]
    what: str


# The test lock is resolved first; the runtime lock is the same versions, less what only tests use.
TEST_LOCK = Lock(
    ROOT / "requirements-test.lock",
    ("requires-python", "dependencies", "test", "build-system"),
    ("test",),
    "runtime, test and build requirements (what `make run` and `make test` install)",
)
RUNTIME_LOCK = Lock(
    ROOT / "requirements.lock",
    ("requires-python", "dependencies", "build-system"),
    (),
    "runtime and build requirements (what the container image and a production install use)",
)
LOCKS = (TEST_LOCK, RUNTIME_LOCK)


def locked_inputs(pyproject: dict[str, object]) -> dict[str, list[str]]:
    """The requirement lists the locks are made from: runtime, the test extra and the build backend."""
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


def fingerprint(pyproject_text: str, lock: Lock) -> str:
    inputs = locked_inputs(tomllib.loads(pyproject_text))
    normalised = {key: sorted("".join(r.split()).lower() for r in inputs[key]) for key in lock.parts}
    return hashlib.sha256(json.dumps(normalised, sort_keys=True).encode()).hexdigest()


def recorded_fingerprint(lock_text: str) -> str | None:
    for line in lock_text.splitlines():
        if line.startswith(FINGERPRINT_PREFIX):
            return line.removeprefix(FINGERPRINT_PREFIX).strip()
    return None


def check() -> int:
    pyproject_text = PYPROJECT.read_text(encoding="utf-8")
    for lock in LOCKS:
        if not lock.path.exists():
            print(f"{lock.path.name} is missing: run `make lock`", file=sys.stderr)
            return 1
        if recorded_fingerprint(lock.path.read_text(encoding="utf-8")) != fingerprint(pyproject_text, lock):
            print(
                f"pyproject.toml and {lock.path.name} disagree (requirements changed since the lock "
                "was made): run `make lock` and commit the *.lock files with pyproject.toml",
                file=sys.stderr,
            )
            return 1
    return 0


def compile_lock(uv: str, lock: Lock, seed: Path) -> int:
    """Resolve with uv into `lock`, preferring the pins of `seed` (the current lock) where they fit."""
    pyproject_text = PYPROJECT.read_text(encoding="utf-8")
    build_requires = locked_inputs(tomllib.loads(pyproject_text))["build-system"]
    with tempfile.TemporaryDirectory() as folder:
        build_in = Path(folder) / "build-system.in"
        build_in.write_text("\n".join(build_requires) + "\n", encoding="utf-8")
        output = Path(folder) / lock.path.name
        if seed.exists():
            output.write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
        extras = [option for extra in lock.extras for option in ("--extra", extra)]
        command = [
            uv, "pip", "compile", "--quiet", "--generate-hashes", *extras,
            *TARGET, "--no-header", "--output-file", str(output),
            "pyproject.toml", str(build_in),
        ]  # fmt: skip
        result = subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603 (the uv given by make lock)
        if result.returncode != 0:
            return result.returncode
        body = output.read_text(encoding="utf-8").replace(str(build_in), "build-system.requires")
    header = (
        f"# Exact versions and hashes of deskops' {lock.what}.\n"
        "# Made by `make lock` (uv pip compile) from pyproject.toml; installed with pip --require-hashes.\n"
        "# Do not edit: change pyproject.toml and run `make lock`.\n"
        f"{FINGERPRINT_PREFIX}{fingerprint(pyproject_text, lock)}\n"
    )
    lock.path.write_text(header + body, encoding="utf-8")
    print(f"wrote {lock.path.relative_to(ROOT)}")
    return 0


def compile_locks(uv: str) -> int:
    return compile_lock(uv, TEST_LOCK, TEST_LOCK.path) or compile_lock(uv, RUNTIME_LOCK, TEST_LOCK.path)


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"]:
        return check()
    if argv[:1] == ["compile"] and len(argv) == 2:
        return compile_locks(argv[1])
    print("usage: tools/lock.py check | compile UV", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
