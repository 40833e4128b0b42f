"""ACCESS_FILE end to end: Helen acts on Acme only, Harry on every customer; commands, find, lists,
the Add New User field and buttons on cards all honour it, and refusals name the customer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.accounts.models import ActivationToken
from console import SlackEmulator
from tests.e2e.backup_flows import add_user_without_backup, open_add_user
from tests.support.app import RunningApp, run_app
from tests.support.slack import (
    HELPDESK_CHANNEL,
    HELPDESK_GROUP,
    HELPDESK_USER,
    OTHER_HELPDESK_USER,
    seed_helpdesk,
)

ACCESS = f"""
scopes:
  - who: [{HELPDESK_USER}]
    customers: [Acme Corporation]
  - who: [{OTHER_HELPDESK_USER}]
    customers: all
  - who: [{HELPDESK_GROUP}]
    customers: [Initech Dental]
"""


@pytest.fixture
def scoped(slack_emulator: SlackEmulator, database_url: str, tmp_path: Path) -> Iterator[RunningApp]:
    seed_helpdesk(slack_emulator)
    access = tmp_path / "access.yaml"
    access.write_text(ACCESS, encoding="utf-8")
    with run_app(slack_emulator, database_url, tmp_path, access_file=str(access)) as app:
        yield app


def answers(emu: SlackEmulator, user: str) -> str:
    return "\n".join(e.all_text() for e in emu.ephemerals(user=user))


def test_each_person_sees_and_acts_on_their_customers_only(
    scoped: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen, harry = slack_emulator.person(HELPDESK_USER), slack_emulator.person(OTHER_HELPDESK_USER)
    # Helen's field lists Acme and Initech (her group's), not Globex.
    view = open_add_user(helen)
    options = [o["text"]["text"] for o in view.block("customer")["element"]["options"]]
    assert options == ["Acme Corporation", "Initech Dental"]
    view.close()
    helen.slash("/backup", "add Globex", channel=HELPDESK_CHANNEL)
    slack_emulator.wait_until(lambda: "outside your scope" in answers(slack_emulator, HELPDESK_USER))
    assert "Globex Logistics is outside your scope" in answers(slack_emulator, HELPDESK_USER)
    assert "ACCESS_FILE" in answers(slack_emulator, HELPDESK_USER)
    # Harry adds a Globex user; Helen can neither find it, list it, nor press its card's buttons.
    add_user_without_backup(harry, "Globex", email="gina@globex.example")
    scoped.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    helen.slash("/backup", "find gina", channel=HELPDESK_CHANNEL)
    slack_emulator.wait_until(lambda: "No backup user's name" in answers(slack_emulator, HELPDESK_USER))
    helen.slash("/backup", "activate gina@globex.example", channel=HELPDESK_CHANNEL)
    helen.click(card, "backup.user.activate")
    slack_emulator.wait_until(
        lambda: answers(slack_emulator, HELPDESK_USER).count("Globex Logistics is outside your scope") >= 3
    )
    with scoped.deps.db.read() as session:
        assert session.scalars(select(ActivationToken)).all() == []
    # Harry, in scope of everything, finds and activates her.
    harry.slash("/backup", "find gina", channel=HELPDESK_CHANNEL)
    slack_emulator.wait_until(lambda: "gina@globex.example" in answers(slack_emulator, OTHER_HELPDESK_USER))
    harry.click(card, "backup.user.activate")
    slack_emulator.wait_until(lambda: "is on its way" in answers(slack_emulator, OTHER_HELPDESK_USER))


@pytest.mark.parametrize("command", ["import Globex", "export Globex"])
def test_import_and_export_of_a_customer_outside_the_scope_are_refused_before_anything_opens(
    scoped: RunningApp, slack_emulator: SlackEmulator, command: str
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    helen.slash("/backup", command, channel=HELPDESK_CHANNEL)
    slack_emulator.wait_until(
        lambda: "Globex Logistics is outside your scope" in answers(slack_emulator, HELPDESK_USER)
    )
    assert helen.modal is None
    assert slack_emulator.calls("files.getUploadURLExternal") == []
