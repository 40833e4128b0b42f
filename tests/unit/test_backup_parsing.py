"""/backup command text as people type it (and as Slack may reformat it)."""

from __future__ import annotations

import pytest

from commands.backup.parsing import BackupCommand, Subcommand, UsageError, parse_backup_command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", BackupCommand(Subcommand.HELP)),
        ("help", BackupCommand(Subcommand.HELP)),
        ("add", BackupCommand(Subcommand.ADD)),
        ("ADD  Acme Corporation ", BackupCommand(Subcommand.ADD, customer="Acme Corporation")),
        ("assign john@acme.example", BackupCommand(Subcommand.ASSIGN, email="john@acme.example")),
        (
            "settings <mailto:john@acme.example|john@acme.example> Acme",
            BackupCommand(Subcommand.SETTINGS, email="john@acme.example", customer="Acme"),
        ),
        (
            "activate john@acme.example Globex Logistics",
            BackupCommand(Subcommand.ACTIVATE, email="john@acme.example", customer="Globex Logistics"),
        ),
        ("users", BackupCommand(Subcommand.USERS)),
        ("users Initech Dental", BackupCommand(Subcommand.USERS, customer="Initech Dental")),
    ],
)
def test_commands(text: str, expected: BackupCommand) -> None:
    assert parse_backup_command(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("frobnicate", "`frobnicate` is not a /backup command."),
        ("assign", "Type the user's e-mail address: `/backup assign <email> [customer]`."),
        ("activate john", "`john` is not an e-mail address: `/backup activate <email> [customer]`."),
        ("users " + "x" * 600, "That is 606 characters; a /backup command is at most 500."),
    ],
)
def test_usage_errors_say_what_to_type(text: str, message: str) -> None:
    with pytest.raises(UsageError) as error:
        parse_backup_command(text)
    assert str(error.value) == message
