"""Configuration: every problem named by its variable, with the fix, in one line."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def test_defaults_are_the_embedded_set_up() -> None:
    loaded = load_settings(_env_file=None)
    assert loaded.database_url == "sqlite:///deskops.db"
    assert loaded.smtp_url.get_secret_value() == "./outbox/"
    assert loaded.backup_provider.value == "local"
    assert loaded.digest_time == time(8, 30) and loaded.timezone == "UTC"
    assert loaded.public_url == "http://127.0.0.1:3000" and loaded.port == 3000
    assert not loaded.slack_configured and loaded.helpdesk_users == []


def test_lists_of_slack_ids_and_url_forms() -> None:
    loaded = load_settings(
        _env_file=None,
        helpdesk_users="U012AB3CD, S0614TZR7",
        approvers="U0APPR01",
        database_url="postgresql://deskops@db:5432/deskops",
        slack_api_url="http://127.0.0.1:9/api",
        public_url="https://deskops.example.com/",
        digest_time="07:05",
    )
    assert loaded.helpdesk_users == ["U012AB3CD", "S0614TZR7"] and loaded.approvers == ["U0APPR01"]
    assert loaded.database_url == "postgresql+psycopg://deskops@db:5432/deskops"
    assert loaded.slack_api_url.endswith("/api/") and loaded.public_url == "https://deskops.example.com"
    assert loaded.digest_time == time(7, 5)


def problems(**values: str) -> list[str]:
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None, **values)
    return error.value.problems


def test_each_bad_value_is_one_line_naming_the_variable() -> None:
    found = problems(
        helpdesk_users="helen",
        helpdesk_channel="#helpdesk",
        digest_time="8h30",
        timezone="CET+1",
        public_url="deskops.example.com",
        port="0",
    )
    assert sorted(line.split(":")[0] for line in found) == sorted(
        ["HELPDESK_CHANNEL", "HELPDESK_USERS", "DIGEST_TIME", "TIMEZONE", "PUBLIC_URL", "PORT"]
    )
    assert all("\n" not in line for line in found)


def test_slack_credentials_come_in_pairs_and_have_the_right_kind() -> None:
    assert problems(slack_bot_token="xoxb-1")[0].startswith(
        "SLACK_SIGNING_SECRET: required with SLACK_BOT_TOKEN"
    )
    assert problems(slack_signing_secret="s")[0].startswith(
        "SLACK_BOT_TOKEN: required with SLACK_SIGNING_SECRET"
    )
    assert problems(slack_app_token="xapp-1")[0].startswith("SLACK_BOT_TOKEN: required with")
    # Socket Mode needs no signing secret: events come over the WebSocket.
    assert load_settings(_env_file=None, slack_bot_token="xoxb-1", slack_app_token="xapp-1").slack_configured
    assert problems(slack_bot_token="xoxp-user", slack_signing_secret="s")[0].startswith(
        "SLACK_BOT_TOKEN: must be a bot token starting with xoxb-"
    )
    assert problems(slack_bot_token="xoxb-1", slack_signing_secret="s", slack_app_token="xoxb-2")[
        0
    ].startswith("SLACK_APP_TOKEN:")


def test_acronis_needs_its_credentials() -> None:
    found = problems(backup_provider="acronis")
    assert [line.split(":")[0] for line in found] == [
        "ACRONIS_URL",
        "ACRONIS_CLIENT_ID",
        "ACRONIS_CLIENT_SECRET",
    ]
    assert problems(backup_provider="veeam")[0].startswith("BACKUP_PROVIDER:")


def test_secrets_do_not_show_in_the_settings_repr() -> None:
    loaded = load_settings(
        _env_file=None,
        slack_bot_token="xoxb-very-secret",
        slack_signing_secret="signing-secret",
        smtp_url="smtp://helpdesk:p4ssw0rd@127.0.0.1:25",
    )
    shown = repr(loaded)
    assert "very-secret" not in shown and "signing-secret" not in shown and "p4ssw0rd" not in shown


def test_make_run_serves_slack_when_any_slack_credential_is_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.config import slack_credentials_configured

    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert not slack_credentials_configured()  # make run: deskops console
    (tmp_path / ".env").write_text("SLACK_SIGNING_SECRET=only-the-secret-here\n")
    assert slack_credentials_configured()  # deskops serve, which says SLACK_BOT_TOKEN is missing
    (tmp_path / ".env").unlink()
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A0-x")
    assert slack_credentials_configured()
