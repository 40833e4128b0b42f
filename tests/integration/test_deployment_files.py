"""The Dockerfile, compose.yaml and the systemd unit pass their linters (hadolint, the Compose
Specification's JSON schema and yamllint, systemd-analyze) and say what docs/operations.md promises.
No container engine runs here: what the image runs is deploy/install.sh, which
test_wheel_install.py runs for real."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.paths import PROJECT_ROOT

BIN = Path(sys.executable).parent
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
COMPOSE = PROJECT_ROOT / "compose.yaml"
UNIT = PROJECT_ROOT / "deploy" / "deskops.service"
YAMLLINT_CONFIG = "{extends: default, rules: {line-length: {max: 120}, document-start: disable}}"


def run(*command: str | Path, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = dockerfile.replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def test_hadolint_finds_nothing_in_the_dockerfile(tmp_path: Path) -> None:
    result = run(BIN / "hadolint", "--no-color", DOCKERFILE)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr
    # The linter does look: a careless Dockerfile gets findings.
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN apt-get install curl\nRUN cd /src && pip install .\n")
    flagged = run(BIN / "hadolint", "--no-color", careless)
    assert flagged.returncode != 0
    assert all(code in flagged.stdout for code in ("DL3007", "DL3008", "DL3003")), flagged.stdout


def test_the_image_is_multi_stage_slim_non_root_and_health_checked() -> None:
    steps = instructions(DOCKERFILE.read_text(encoding="utf-8"))
    froms = [args for keyword, args in steps if keyword == "FROM"]
    assert len(froms) == 2 and froms[0].endswith("AS build")
    base = next(args for keyword, args in steps if keyword == "ARG" and args.startswith("PYTHON_IMAGE="))
    assert base.startswith("PYTHON_IMAGE=python:3.11-slim")  # the Python the locks were made for
    assert ("RUN", "sh deploy/install.sh /opt/deskops") in steps  # what test_wheel_install.py runs
    final = steps[[keyword for keyword, _ in steps].index("FROM", 1) :]
    assert ("COPY", "--from=build /opt/deskops /opt/deskops") in final
    [user] = [args for keyword, args in final if keyword == "USER"]
    assert user.split(":")[0] not in ("0", "root")
    [healthcheck] = [args for keyword, args in final if keyword == "HEALTHCHECK"]
    assert "/healthz" in healthcheck
    assert ("ENTRYPOINT", '["deskops"]') in final and ("CMD", '["serve"]') in final
    ignored = (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {"/.venv", "/.git", "/.env", "/deskops.secret", "/outbox"} <= set(ignored)


def test_compose_file_follows_the_compose_specification(tmp_path: Path) -> None:
    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr
    lint = run(BIN / "yamllint", "--strict", "-d", YAMLLINT_CONFIG, COMPOSE)
    assert lint.returncode == 0, lint.stdout
    # The schema does check: a misspelt dependency condition is refused.
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text(encoding="utf-8").replace("service_healthy", "healthy", 1))
    refused = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", broken)
    assert refused.returncode != 0 and "healthy" in refused.stdout


def test_compose_migrates_before_serving_and_offers_a_second_replica() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = compose["services"]
    db = services["db"]
    assert db["image"].startswith("postgres:") and any(v.startswith("postgres-data:") for v in db["volumes"])
    assert "pg_isready" in db["healthcheck"]["test"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("deskops", "deskops-replica"):
        service = services[name]
        assert service["command"] == ["serve"]
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "${SECRET_KEY:?" in service["environment"]["SECRET_KEY"]  # one key for every replica
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://deskops:")
    assert "profiles" not in services["deskops"] and services["deskops-replica"]["profiles"] == ["replicas"]


def unit_root(tmp_path: Path) -> Path:
    """A root with the system's units, the unit installed and an executable at its ExecStart."""
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, root / "etc/systemd/system/deskops.service")
    program = root / "opt/deskops/bin/deskops"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    return root


def test_systemd_analyze_verifies_the_unit_and_rates_its_hardening(tmp_path: Path) -> None:
    root = unit_root(tmp_path)
    unit = root / "etc/systemd/system/deskops.service"
    verified = run("systemd-analyze", "verify", "--man=no", f"--root={root}", unit)
    assert verified.returncode == 0 and verified.stdout + verified.stderr == "", verified.stderr
    security = run(
        "systemd-analyze", "security", "--offline=yes", f"--root={root}", "--threshold=20", "--no-pager",
        "deskops.service",
    )  # fmt: skip
    assert security.returncode == 0, security.stdout[-600:]
    exposure = security.stdout.strip().splitlines()[-1]
    assert "Overall exposure level for deskops.service" in exposure and "OK" in exposure
    # verify does read the options: a misspelt value is reported.
    unit.write_text(
        UNIT.read_text(encoding="utf-8").replace("ProtectSystem=strict", "ProtectSystem=stricter")
    )
    reported = run("systemd-analyze", "verify", "--man=no", f"--root={root}", unit)
    assert "stricter" in reported.stderr


def test_the_unit_runs_the_installed_serve_as_an_unprivileged_user() -> None:
    lines = [line.strip() for line in UNIT.read_text(encoding="utf-8").splitlines()]
    assert "ExecStart=/opt/deskops/bin/deskops serve" in lines
    assert {
        "DynamicUser=yes",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "StateDirectory=deskops",
    } <= set(lines)
    assert "RestartPreventExitStatus=2" in lines  # a configuration problem is not retried forever
    assert "EnvironmentFile=/etc/deskops/deskops.env" in lines
