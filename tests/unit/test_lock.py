"""The lock files agree with pyproject.toml: `make install` and the image install exactly what
pyproject.toml asks for, at the same versions."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools.lock import (
    LOCKS,
    PYPROJECT,
    RUNTIME_LOCK,
    TEST_LOCK,
    Lock,
    fingerprint,
    locked_inputs,
    recorded_fingerprint,
)

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def locked_pins(lock: Lock) -> dict[str, str]:
    pins = {}
    for line in lock.path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


@pytest.mark.parametrize("lock", LOCKS, ids=lambda lock: lock.path.name)
def test_the_lock_was_made_from_the_current_requirements(lock: Lock) -> None:
    recorded = recorded_fingerprint(lock.path.read_text(encoding="utf-8"))
    assert recorded == fingerprint(PYPROJECT.read_text(encoding="utf-8"), lock), (
        f"pyproject.toml's requirements changed since {lock.path.name} was made: run `make lock`"
    )


@pytest.mark.parametrize("lock", LOCKS, ids=lambda lock: lock.path.name)
def test_every_requirement_is_pinned_to_a_version_it_accepts(lock: Lock) -> None:
    pins = locked_pins(lock)
    inputs = locked_inputs(tomllib.loads(PYPROJECT.read_text(encoding="utf-8")))
    problems = []
    for key in set(lock.parts) - {"requires-python"}:
        for text in inputs[key]:
            requirement = Requirement(text)
            name = canonicalize_name(requirement.name)
            if name not in pins:
                problems.append(f"{text} ({key}) is not in {lock.path.name}")
            elif not requirement.specifier.contains(pins[name], prereleases=True):
                problems.append(f"{text} ({key}) does not accept the locked {pins[name]}")
    assert not problems, "run `make lock`:\n" + "\n".join(problems)


@pytest.mark.parametrize("lock", LOCKS, ids=lambda lock: lock.path.name)
def test_every_locked_version_has_its_hashes(lock: Lock) -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock.path.read_text(encoding="utf-8"))
    pinned = [block for block in blocks if PIN.match(block)]
    assert len(pinned) == len(locked_pins(lock)) > 25
    unhashed = [block.split()[0] for block in pinned if "--hash=sha256:" not in block]
    assert not unhashed


def test_production_runs_the_versions_the_tests_ran() -> None:
    runtime, tested = locked_pins(RUNTIME_LOCK), locked_pins(TEST_LOCK)
    assert {name: tested.get(name) for name in runtime} == runtime
    assert "pytest" in tested and "pytest" not in runtime


def test_a_changed_requirement_changes_the_fingerprint() -> None:
    text = PYPROJECT.read_text(encoding="utf-8")
    added = text.replace('"PyYAML>=6.0.1",', '"PyYAML>=6.0.1",\n    "rich>=13",')
    assert fingerprint(added, RUNTIME_LOCK) != fingerprint(text, RUNTIME_LOCK)
    respelt = text.replace('"PyYAML>=6.0.1"', '"pyyaml >= 6.0.1"')
    assert fingerprint(respelt, RUNTIME_LOCK) == fingerprint(text, RUNTIME_LOCK)
    test_only = text.replace('"trustme>=1.1",', '"trustme>=1.1",\n    "rich>=13",')
    assert fingerprint(test_only, RUNTIME_LOCK) == fingerprint(text, RUNTIME_LOCK)
    assert fingerprint(test_only, TEST_LOCK) != fingerprint(text, TEST_LOCK)
