"""requirements.lock agrees with pyproject.toml: `make install` installs exactly what pyproject asks for."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools.lock import LOCK, PYPROJECT, fingerprint, locked_inputs, recorded_fingerprint

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def locked_pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def test_the_lock_was_made_from_the_current_requirements() -> None:
    recorded = recorded_fingerprint(LOCK.read_text(encoding="utf-8"))
    assert recorded == fingerprint(PYPROJECT.read_text(encoding="utf-8")), (
        "pyproject.toml's requirements changed since requirements.lock was made: run `make lock`"
    )


def test_every_requirement_is_pinned_to_a_version_it_accepts() -> None:
    pins = locked_pins()
    inputs = locked_inputs(tomllib.loads(PYPROJECT.read_text(encoding="utf-8")))
    problems = []
    for key in ("dependencies", "test", "build-system"):
        for text in inputs[key]:
            requirement = Requirement(text)
            name = canonicalize_name(requirement.name)
            if name not in pins:
                problems.append(f"{text} ({key}) is not in requirements.lock")
            elif not requirement.specifier.contains(pins[name], prereleases=True):
                problems.append(f"{text} ({key}) does not accept the locked {pins[name]}")
    assert not problems, "run `make lock`:\n" + "\n".join(problems)


def test_every_locked_version_has_its_hashes() -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text(encoding="utf-8"))
    pinned = [block for block in blocks if PIN.match(block)]
    assert len(pinned) == len(locked_pins()) > 40
    unhashed = [block.split()[0] for block in pinned if "--hash=sha256:" not in block]
    assert not unhashed


def test_a_changed_requirement_changes_the_fingerprint() -> None:
    text = PYPROJECT.read_text(encoding="utf-8")
    assert fingerprint(text.replace('"PyYAML>=6.0.1",', '"PyYAML>=6.0.1",\n    "rich>=13",')) != fingerprint(
        text
    )
    assert fingerprint(text.replace('"PyYAML>=6.0.1"', '"pyyaml >= 6.0.1"')) == fingerprint(text)
