"""ACCESS_FILE beyond the commands: App Home lists only the person's customers' users, a reminder's
Activate pressed by someone out of scope is refused naming the customer (and nothing is sent), and
the daily digest in DIGEST_CHANNEL is the MSP-wide overview (every customer; see README)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from blocks.backup.metadata import UserRef
from bot.accounts.models import ActivationToken
from console import SlackEmulator
from tests.support.channels import DIGEST_CHANNEL, START, ChannelsApp, add_backup_user, channels_app, run_job
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER, OTHER_HELPDESK_USER

ACTIVATE = "backup.user.activate"
ACCESS = f"""
scopes:
  - who: [{HELPDESK_USER}]
    customers: [Acme Corporation]
  - who: [{OTHER_HELPDESK_USER}]
    customers: all
"""


@pytest.fixture
def scoped(slack_emulator: SlackEmulator, database_url: str, tmp_path: Path) -> Iterator[ChannelsApp]:
    access = tmp_path / "access.yaml"
    access.write_text(ACCESS, encoding="utf-8")
    with channels_app(slack_emulator, database_url, tmp_path, access_file=str(access)) as running:
        yield running


def tokens_of(app: ChannelsApp, user_id: int) -> int:
    with app.app.deps.db.read() as session:
        return len(session.scalars(select(ActivationToken).where(ActivationToken.user_id == user_id)).all())


def answers(emu: SlackEmulator, user: str) -> str:
    return "\n".join(e.all_text() for e in emu.ephemerals(user=user))


def test_home_lists_only_the_persons_customers(scoped: ChannelsApp, slack_emulator: SlackEmulator) -> None:
    add_backup_user(scoped, email="pat@globex.example")
    add_backup_user(scoped, email="alma@acme.example", first="Alma", last="Acme", customer="Acme Corporation")
    scoped.app.wait_for_outbox()
    helen, harry = slack_emulator.person(HELPDESK_USER), slack_emulator.person(OTHER_HELPDESK_USER)
    helen.open_home()
    # Her own recent actions stay hers (the test set Pat up as her action); the lists are scoped.
    lists = helen.wait_for_home().all_text().split("*Your recent actions*")[0]
    assert "Users pending activation* (1)" in lists and "Alma Acme" in lists
    assert "Pat Pending" not in lists and "globex" not in lists.lower()
    harry.open_home()
    text = harry.wait_for_home().all_text()
    assert "Users pending activation* (2)" in text and "Alma Acme" in text and "Pat Pending" in text


def test_a_reminders_button_refuses_a_person_out_of_scope_naming_the_customer(
    scoped: ChannelsApp, slack_emulator: SlackEmulator
) -> None:
    pat = add_backup_user(scoped, email="pat@globex.example")
    alma = add_backup_user(
        scoped, email="alma@acme.example", first="Alma", last="Acme", customer="Acme Corporation"
    )
    scoped.clock.set(START + timedelta(days=3, minutes=1))
    run_job(scoped, "reminders")
    [reminder] = slack_emulator.channel(HELPDESK_CHANNEL).messages()
    assert "Pat Pending" in reminder.all_text() and "Alma Acme" in reminder.all_text()
    helen, harry = slack_emulator.person(HELPDESK_USER), slack_emulator.person(OTHER_HELPDESK_USER)

    helen.click(reminder, ACTIVATE, value=UserRef(user_id=pat).model_dump_json())
    slack_emulator.wait_until(lambda: "outside your scope" in answers(slack_emulator, HELPDESK_USER))
    assert "Globex Logistics is outside your scope" in answers(slack_emulator, HELPDESK_USER)
    scoped.app.wait_for_outbox()
    assert tokens_of(scoped, pat) == 0

    helen.click(reminder, ACTIVATE, value=UserRef(user_id=alma).model_dump_json())
    harry.click(reminder, ACTIVATE, value=UserRef(user_id=pat).model_dump_json())
    slack_emulator.wait_until(lambda: "Alma Acme is on its way" in answers(slack_emulator, HELPDESK_USER))
    slack_emulator.wait_until(
        lambda: "Pat Pending is on its way" in answers(slack_emulator, OTHER_HELPDESK_USER)
    )
    scoped.app.wait_for_outbox()
    assert (tokens_of(scoped, pat), tokens_of(scoped, alma)) == (1, 1)


def test_the_digest_channel_shows_every_customer(scoped: ChannelsApp, slack_emulator: SlackEmulator) -> None:
    add_backup_user(scoped, email="pat@globex.example")
    add_backup_user(scoped, email="alma@acme.example", first="Alma", last="Acme", customer="Acme Corporation")
    scoped.clock.set(START + timedelta(days=1))
    run_job(scoped, "digest")
    text = slack_emulator.channel(DIGEST_CHANNEL).last_message().all_text()
    assert "Globex Logistics" in text and "Acme Corporation" in text
