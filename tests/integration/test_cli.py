"""`deskops` as an operator runs it: a real process, real environment variables, real exit codes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from console import SlackEmulator
from tests.support.net import free_port
from tests.support.paths import PROJECT_ROOT
from tests.support.slack import bot_environment
from tests.support.slapd import Slapd

SAMPLE = PROJECT_ROOT / "bot" / "sample" / "customers.yaml"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: nothing from the developer's shell or a .env file leaks in."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    return {**keep, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "SMTP_URL": str(tmp_path / "outbox")}


def deskops(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deskops", *args],
        check=False,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_upgrade_import_and_audit(env: dict[str, str], tmp_path: Path) -> None:
    upgraded = deskops("db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "database is up to date" in upgraded.stdout
    first = deskops("customers", "import", "--if-empty", str(SAMPLE), env=env, cwd=tmp_path)
    assert first.returncode == 0 and "3 customers created" in first.stdout
    second = deskops("customers", "import", "--if-empty", str(SAMPLE), env=env, cwd=tmp_path)
    assert "customers already present; nothing imported" in second.stdout
    listed = deskops("customers", "list", env=env, cwd=tmp_path)
    assert "Acme Corporation: PAYG, Capped Storage, Microsoft Office 365" in listed.stdout
    audit = deskops("audit", env=env, cwd=tmp_path)
    assert audit.returncode == 0
    # The import changed something (recorded once, by the CLI); the second found nothing new.
    [event] = audit.stdout.strip().splitlines()
    assert (
        " cli " in event
        and "customers.imported" in event
        and "3 customers created, 6 subscriptions added" in event
    )


def test_a_bad_customer_file_names_the_entry_and_field(env: dict[str, str], tmp_path: Path) -> None:
    deskops("db", "upgrade", env=env, cwd=tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("customers:\n  - name: Umbrella\n    subscriptions: []\n  - subscriptions: [PAYG]\n")
    result = deskops("customers", "import", str(bad), env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert (
        "customers.0.subscriptions" in result.stderr and "customers.1.name: Field required" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_commands_refuse_an_unmigrated_database(env: dict[str, str], tmp_path: Path) -> None:
    result = deskops("customers", "list", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "run `deskops db upgrade` first" in result.stderr


def test_bad_configuration_is_one_line_per_problem(env: dict[str, str], tmp_path: Path) -> None:
    broken = {
        **env,
        "DATABASE_URL": "mysql://db/deskops",
        "HELPDESK_USERS": "U012AB3CD,helen",
        "DIGEST_TIME": "25:00",
        "TIMEZONE": "Mars/Olympus",
        "PORT": "http",
    }
    result = deskops("doctor", env=broken, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "deskops cannot start: the configuration has problems:"
    problems = [line.strip() for line in lines[1:]]
    assert len(problems) == 5
    assert any(p.startswith("DATABASE_URL: 'mysql://db/deskops' is not supported") for p in problems)
    assert any(p.startswith("HELPDESK_USERS: 'helen' is not a Slack user id") for p in problems)
    assert any(p.startswith("DIGEST_TIME:") and "HH:MM" in p for p in problems)
    assert any(p.startswith("TIMEZONE:") and "IANA" in p for p in problems)
    assert any(p.startswith("PORT:") for p in problems)
    assert "Traceback" not in result.stderr


def test_serve_without_slack_credentials_refuses_to_start(env: dict[str, str], tmp_path: Path) -> None:
    deskops("db", "upgrade", env=env, cwd=tmp_path)
    for missing in (
        {},
        {"SLACK_BOT_TOKN": "xoxb-1-2-misspelt", "SLACK_SIGNIN_SECRET": "s" * 32},
    ):
        result = deskops("serve", env={**env, **missing, "PORT": str(free_port())}, cwd=tmp_path, timeout=30)
        assert result.returncode == 2, result.stdout + result.stderr
        message = result.stderr
        assert message.startswith("deskops serve: no Slack credentials are configured")
        assert (
            "SLACK_BOT_TOKEN" in message
            and "SLACK_SIGNING_SECRET" in message
            and "SLACK_APP_TOKEN" in message
        )
        assert "https://api.slack.com/apps" in message and "Bot User OAuth Token" in message
        assert "run `deskops console`" in message and "Traceback" not in message
        assert "OFFLINE CONSOLE" not in result.stdout + message
        if missing:
            assert "Not read (misspelt?): SLACK_BOT_TOKN, SLACK_SIGNIN_SECRET." in message
            assert "xoxb-1-2-misspelt" not in message
    half = deskops("serve", env={**env, "SLACK_BOT_TOKEN": "xoxb-1-2-abc"}, cwd=tmp_path)
    assert half.returncode == 2
    assert (
        "SLACK_SIGNING_SECRET: required with SLACK_BOT_TOKEN" in half.stderr
        and "xoxb-1-2-abc" not in half.stderr
    )
    # Nothing was loaded into the database on the way.
    assert deskops("customers", "list", env=env, cwd=tmp_path).stdout == ""


def test_console_is_the_offline_console_with_sample_customers_in_an_empty_database(
    env: dict[str, str], tmp_path: Path
) -> None:
    deskops("db", "upgrade", env=env, cwd=tmp_path)
    port = free_port()
    # HOST=0.0.0.0 (the default for Slack mode) must not widen the console beyond loopback.
    process = subprocess.Popen(
        [sys.executable, "-m", "deskops", "console"],
        env={**env, "PORT": str(port), "HOST": "0.0.0.0"},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail(f"deskops serve did not come up: {process.communicate(timeout=5)[0]}")
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        page = httpx.get(f"{base}/console")
        assert page.status_code == 200 and "offline console" in page.text and "127.0.0.1" in page.text
        state = httpx.get(
            f"{base}/console/api/state", params={"user": "U0HELEN01", "place": "channel:C0HELPDSK"}
        )
        assert "helpdesk" in state.json()["regions"]["nav"]["html"]
        assert httpx.get(base, follow_redirects=False).headers["location"].endswith("/console")
        # Bound to loopback only: another address of this machine gets no answer.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(1)
            assert probe.connect_ex((outside_address(), port)) != 0
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    # uvicorn ends by re-raising the SIGTERM it handled, after a clean shutdown.
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "OFFLINE CONSOLE" in output and f"Open {base}/console" in output
    assert "127.0.0.1 only" in output and "Connect a Slack workspace" in output
    assert "Sample customers: 3 loaded into the empty database" in output
    assert "Traceback" not in output
    listed = deskops("customers", "list", env=env, cwd=tmp_path).stdout
    assert "Acme Corporation: PAYG, Capped Storage, Microsoft Office 365" in listed


def test_console_leaves_a_database_with_customers_as_it_is(env: dict[str, str], tmp_path: Path) -> None:
    deskops("db", "upgrade", env=env, cwd=tmp_path)
    own = tmp_path / "own.yaml"
    own.write_text("customers:\n  - name: Initech\n    subscriptions: [PAYG]\n")
    deskops("customers", "import", str(own), env=env, cwd=tmp_path)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "deskops", "console"],
        env={**env, "PORT": str(port)},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_health(f"http://127.0.0.1:{port}", process)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert "OFFLINE CONSOLE" in output and "Sample customers" not in output
    assert deskops("customers", "list", env=env, cwd=tmp_path).stdout == "Initech: PAYG\n"


def wait_for_health(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    pytest.fail(f"deskops did not come up: {process.communicate(timeout=5)[0]}")


def outside_address() -> str:
    """An address of this machine that is not loopback (the one a route to the outside uses)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        try:
            udp.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent, only a route is chosen
            address = str(udp.getsockname()[0])
        except OSError:
            address = "0.0.0.0"
    return address if not address.startswith("127.") else "0.0.0.0"


def test_doctor_checks_each_integration(
    env: dict[str, str], tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    deskops("db", "upgrade", env=env, cwd=tmp_path)
    without_slack = deskops("doctor", env=env, cwd=tmp_path)
    assert without_slack.returncode == 0, without_slack.stdout
    assert (
        "[warn] slack: no workspace configured: `deskops serve` refuses to start until SLACK_BOT_TOKEN"
        in without_slack.stdout
    )
    assert "[warn] access: HELPDESK_USERS is not set" in without_slack.stdout
    full = {**env, **bot_environment(slack_emulator), "HELPDESK_USERS": "S0HELPDK"}
    result = deskops("doctor", env=full, cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "[ok  ] database: sqlite reachable, schema current" in result.stdout
    assert "[ok  ] slack: auth.test ok" in result.stdout
    assert "[ok  ] mail: file: writing .eml files to" in result.stdout
    assert "[ok  ] backup platform: local provider" in result.stdout
    broken_mail = {**full, "SMTP_URL": f"smtp://127.0.0.1:{free_port()}"}
    result = deskops("doctor", env=broken_mail, cwd=tmp_path)
    assert result.returncode == 1 and "[FAIL] mail: the SMTP server 127.0.0.1:" in result.stdout


@pytest.fixture
def served(env: dict[str, str], tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[str]:
    port = free_port()
    full = {
        **env,
        **bot_environment(slack_emulator),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    deskops("db", "upgrade", env=full, cwd=tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "deskops", "serve"],
        env=full,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("deskops serve did not come up")
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
        assert "Traceback" not in output, output
        assert slack_emulator.signing_secret not in output and slack_emulator.bot_token not in output


def test_serve_answers_health_and_slack(
    served: str, slack_emulator: SlackEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    assert httpx.get(f"{served}/readyz").json()["status"] == "ready"
    slack_emulator.events_url = f"{served}/slack/events"
    slack_emulator.add_user("U0SOLO01", name="solo")
    slack_emulator.add_channel("C0SOLO01", name="solo", members=["U0SOLO01"])
    outcome = slack_emulator.person("U0SOLO01").slash("/backup", "help", channel="C0SOLO01")
    assert outcome.status == 200
    slack_emulator.wait_until(lambda: slack_emulator.ephemerals(user="U0SOLO01"))
    assert "/backup add [customer]" in slack_emulator.ephemerals(user="U0SOLO01")[-1].all_text()
    # The production server never loads the sample customers, not even into an empty database.
    assert deskops("customers", "list", env=env, cwd=tmp_path).stdout == ""


def test_manifest_carries_the_public_url(env: dict[str, str], tmp_path: Path) -> None:
    import yaml

    result = deskops("manifest", env={**env, "PUBLIC_URL": "https://helpdesk.msp.example"}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load(result.stdout)
    urls = [c["url"] for c in manifest["features"]["slash_commands"]]
    urls += [
        manifest["settings"]["interactivity"]["request_url"],
        manifest["settings"]["interactivity"]["message_menu_options_url"],
        manifest["settings"]["event_subscriptions"]["request_url"],
    ]
    assert set(urls) == {"https://helpdesk.msp.example/slack/events"}
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/backup", "/enroll"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["oauth_config"]["scopes"]["bot"] == [
        "commands",
        "chat:write",
        "usergroups:read",
        "files:read",
        "files:write",
    ]


def test_doctor_binds_to_the_directory(env: dict[str, str], tmp_path: Path, slapd_server: Slapd) -> None:
    from tests.support.slapd import READER_DN, READER_PASSWORD

    deskops("db", "upgrade", env=env, cwd=tmp_path)
    ldap = {
        **env,
        "DIRECTORY_URL": slapd_server.url,
        "DIRECTORY_BIND_DN": READER_DN,
        "DIRECTORY_BIND_PASSWORD": READER_PASSWORD,
        "DIRECTORY_PROFILE": "openldap",
    }
    result = deskops("doctor", env=ldap, cwd=tmp_path)
    assert (
        f"[ok  ] directory: ldap: ldap://127.0.0.1:{slapd_server.port} bound as {READER_DN}" in result.stdout
    )
    wrong = deskops("doctor", env={**ldap, "DIRECTORY_BIND_PASSWORD": "nope-wrong"}, cwd=tmp_path)
    assert (
        f"[FAIL] directory: the directory at 127.0.0.1:{slapd_server.port} refused the bind" in wrong.stdout
    )
    assert "nope-wrong" not in wrong.stdout


def test_an_unusable_smtp_or_directory_url_stops_serve_in_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    deskops("db", "upgrade", env=env, cwd=tmp_path)
    for name, value, expected in (
        ("SMTP_URL", "smtpx://mail.example.com", "SMTP_URL smtpx://mail.example.com: unknown scheme"),
        ("DIRECTORY_URL", str(tmp_path / "missing.yaml"), "DIRECTORY_URL: no directory file at"),
    ):
        slack = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "s" * 32}
        result = deskops("serve", env={**env, **slack, name: value}, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert expected in result.stderr and "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_line_naming_database_url(env: dict[str, str], tmp_path: Path) -> None:
    closed = f"postgresql+psycopg://deskops:pw-not-shown@127.0.0.1:{free_port()}/deskops"
    for args in (("db", "upgrade"), ("audit",), ("customers", "list")):
        result = deskops(*args, env={**env, "DATABASE_URL": closed}, cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        [line] = result.stderr.strip().splitlines()
        assert (
            line.startswith("deskops: cannot reach the database at 127.0.0.1:")
            and "check DATABASE_URL" in line
        )
        assert "pw-not-shown" not in result.stderr
    missing_folder = f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}"
    result = deskops("db", "upgrade", env={**env, "DATABASE_URL": missing_folder}, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot be opened" in result.stderr and "does its folder exist" in result.stderr
    doctor = deskops("doctor", env={**env, "DATABASE_URL": closed}, cwd=tmp_path)
    assert "[FAIL] database: cannot reach the database at 127.0.0.1:" in doctor.stdout


def test_an_unreachable_slack_api_stops_serve_in_one_line(env: dict[str, str], tmp_path: Path) -> None:
    deskops("db", "upgrade", env=env, cwd=tmp_path)
    nowhere = f"http://127.0.0.1:{free_port()}/api/"
    slack = {
        **env,
        "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
        "SLACK_SIGNING_SECRET": "s" * 32,
        "SLACK_API_URL": nowhere,
    }
    result = deskops("serve", env=slack, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"deskops cannot start: cannot reach the Slack Web API at {nowhere}" in result.stderr
    doctor = deskops("doctor", env=slack, cwd=tmp_path)
    assert f"[FAIL] slack: cannot reach the Slack Web API at {nowhere}" in doctor.stdout


def test_doctor_checks_that_public_url_answers_as_deskops(
    served: str, env: dict[str, str], tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    configured = {**env, **bot_environment(slack_emulator)}
    reachable = deskops("doctor", env={**configured, "PUBLIC_URL": served}, cwd=tmp_path)
    assert reachable.returncode == 0, reachable.stdout
    assert f"[warn] public URL: {served} is reachable, but not https" in reachable.stdout
    nowhere = f"http://127.0.0.1:{free_port()}"
    unreachable = deskops("doctor", env={**configured, "PUBLIC_URL": nowhere}, cwd=tmp_path)
    assert f"[warn] public URL: {nowhere} is not reachable from here" in unreachable.stdout
    # A server answers there, but not as deskops (e.g. a proxy forwarding to the wrong place).
    other = f"{served}/activate"
    elsewhere = deskops("doctor", env={**configured, "PUBLIC_URL": other}, cwd=tmp_path)
    assert f"[warn] public URL: {other}/healthz answered 404, not deskops" in elsewhere.stdout
