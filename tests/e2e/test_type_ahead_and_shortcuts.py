"""More than 100 customers: the Customer field of Add New User becomes type-ahead (an external
select), answered over the emulator's options requests — any part of the name, best matches first,
at most 100, accents and case ignored, and never a customer outside the person's ACCESS_FILE scope.
The global shortcuts open the same modals as the commands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from bot.accounts.models import BackupUser
from bot.customers.models import Customer
from console import SlackEmulator
from console.suggestions import OptionsOutcome
from console.viewhandle import ViewHandle
from tests.e2e.backup_flows import ADD_USER, fill_user, open_add_user
from tests.support.app import RunningApp, run_app
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER, OTHER_HELPDESK_USER, seed_helpdesk

REGION = [f"Northwind Branch {n:03d}" for n in range(130)]
ZURICH = ["Zurich", "Zurich Insurance", "Zurichland", "Bank of Zürich", "Acme Zurich Branch", "Lazurich Labs"]
OUTSIDE = ["Globex Zurich Holdings", *[f"Southwind Branch {n:03d}" for n in range(40)]]


@pytest.fixture
def many(slack_emulator: SlackEmulator, database_url: str, tmp_path: Path) -> Iterator[RunningApp]:
    """Helen may act on the 136 customers of her region, Harry on all 177."""
    seed_helpdesk(slack_emulator)
    access = tmp_path / "access.yaml"
    names = "\n".join(f'      - "{name}"' for name in REGION + ZURICH)
    access.write_text(
        f"scopes:\n  - who: [{HELPDESK_USER}]\n    customers:\n{names}\n"
        f"  - who: [{OTHER_HELPDESK_USER}]\n    customers: all\n",
        encoding="utf-8",
    )
    with run_app(slack_emulator, database_url, tmp_path, customers=None, access_file=str(access)) as app:
        with app.deps.db.transaction() as session:
            now = app.deps.clock.now()
            session.execute(
                insert(Customer), [{"name": n, "created_at": now} for n in REGION + ZURICH + OUTSIDE]
            )
        yield app


def offered(outcome: OptionsOutcome) -> list[str]:
    assert outcome.problems == [], outcome.problems
    return [option["text"]["text"] for option in outcome.options]


def value_of(outcome: OptionsOutcome, name: str) -> str:
    return next(str(o["value"]) for o in outcome.options if o["text"]["text"] == name)


def shape(view: ViewHandle) -> list[tuple[str, str]]:
    """The modal's blocks: types, and the ids of its fields (Slack names the other blocks at random)."""
    return [(b["type"], b["block_id"] if b["type"] == "input" else "") for b in view.blocks]


def customer_field(view: ViewHandle) -> dict[str, object]:
    element = view.block("customer")["element"]
    assert isinstance(element, dict)
    return element


def test_type_ahead_ranks_any_part_of_the_name_within_the_scope(
    many: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_add_user(helen)
    assert customer_field(view)["type"] == "external_select"
    # The whole name, then names starting with it (shorter first), then a word of the name, then anywhere.
    ranked = [
        "Zurich",
        "Zurichland",
        "Zurich Insurance",
        "Bank of Zürich",
        "Acme Zurich Branch",
        "Lazurich Labs",
    ]
    assert offered(view.type_ahead("customer", "zurich")) == ranked
    assert offered(view.type_ahead("customer", "ZÜRICH")) == ranked
    # Typed again at once, the request is the same signed body: answered again, not refused as a
    # replay or dropped as a Slack retry.
    assert (
        offered(view.type_ahead("customer", "zurich"))
        == offered(view.type_ahead("customer", "zurich"))
        == ranked
    )
    assert offered(view.type_ahead("customer", "rich ins")) == ["Zurich Insurance"]
    # Out of Helen's scope: never offered, however it is typed.
    assert offered(view.type_ahead("customer", "globex")) == []
    assert offered(view.type_ahead("customer", "southwind")) == []
    # 130 match; Slack takes at most 100.
    assert len(offered(view.type_ahead("customer", "northwind"))) == 100
    assert offered(view.type_ahead("customer", "branch 129")) == ["Northwind Branch 129"]

    view.type_ahead("customer", "insurance")
    view.choose(
        "customer", view.driver.offered.shown(view.id, "customer", "backup.customer.search")[0]["value"]
    )
    fill_user(view, "Iris", "Insured", "iris@zurich-insurance.example")
    view.tick("services", [])
    view.wait_for_update()
    result = view.submit()
    assert result.errors is None and result.closed
    many.wait_for_outbox()
    with many.deps.db.read() as session:
        user = session.scalars(
            select(BackupUser).where(BackupUser.email == "iris@zurich-insurance.example")
        ).one()
        assert user.customer.name == "Zurich Insurance"
    assert slack_emulator.problems == []


def test_someone_scoped_to_everything_is_offered_every_customer(
    many: RunningApp, slack_emulator: SlackEmulator
) -> None:
    view = open_add_user(slack_emulator.person(OTHER_HELPDESK_USER))
    assert "Globex Zurich Holdings" in offered(view.type_ahead("customer", "zurich"))
    assert len(offered(view.type_ahead("customer", "southwind"))) == 40
    # Nothing typed yet: min_query_length is 1, so Slack sends no request.
    assert view.type_ahead("customer", "").delivery is None


def test_the_shortcuts_open_the_same_modals_as_the_commands(
    many: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    by_command = open_add_user(helen)
    command_blocks = shape(by_command)
    by_command.close()
    outcome = helen.shortcut("Add backup user")
    assert outcome.status == 200 and outcome.problems == []
    by_shortcut = helen.wait_for_view(callback_id=ADD_USER)
    assert shape(by_shortcut) == command_blocks
    assert by_shortcut.title == "Add New User"
    # Created from the shortcut, the user's card goes to Helen's direct messages (no channel).
    by_shortcut.choose("customer", value_of(by_shortcut.type_ahead("customer", "zurichl"), "Zurichland"))
    fill_user(by_shortcut, "Lena", "Land", "lena@zurichland.example")
    by_shortcut.tick("services", [])
    by_shortcut.wait_for_update()
    assert by_shortcut.submit().closed
    many.wait_for_outbox()
    card = slack_emulator.dm_channel(HELPDESK_USER).wait_for_message(
        lambda m: "lena@zurichland.example" in m.all_text()
    )
    assert "Zurichland" in card.all_text()

    helen.slash("/enroll", "invite", channel=HELPDESK_CHANNEL)
    invite_by_command = helen.wait_for_view(callback_id="enroll.invite")
    invite_blocks = shape(invite_by_command)
    invite_by_command.close()
    assert helen.shortcut("Send enrollment invitation").problems == []
    invite = helen.wait_for_view(callback_id="enroll.invite")
    assert invite.title == "Enrollment Invitation"
    assert shape(invite) == invite_blocks
    assert slack_emulator.problems == []


def test_only_the_apps_shortcuts_are_in_the_menu(many: RunningApp, slack_emulator: SlackEmulator) -> None:
    with pytest.raises(LookupError, match="Add backup user, Send enrollment invitation"):
        slack_emulator.person(HELPDESK_USER).shortcut("Delete everything")
