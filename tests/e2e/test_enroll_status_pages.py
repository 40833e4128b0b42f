"""`/enroll status` pages its people and its invitations as `/backup users` pages users: "Showing 1 to
10 of 15 people", Previous / Next, the answer replaced in place, each list keeping its page while the
other moves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console import Ephemeral, SlackEmulator
from tests.support.app import RunningApp
from tests.support.channels import add_invitation_rows
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER

pytestmark = pytest.mark.backup_provider("local")
PEOPLE = 15


def seed(app: RunningApp, people: int, each: int) -> None:
    """`people` people with `each` invitations, person 01 the oldest; the newest invitation last."""
    start = app.deps.clock.now() - timedelta(hours=people * each)
    for round_ in range(each):
        for n in range(1, people + 1):
            add_invitation_rows(
                app.deps.db,
                email=f"person{n:02d}@example.com",
                name=f"Person {n:02d}",
                now=start + timedelta(minutes=round_ * people + n),
                expires_in=timedelta(days=7),
            )


def status(emu: SlackEmulator, text: str = "status") -> Ephemeral:
    seen = len(emu.ephemerals(user=HELPDESK_USER))
    emu.person(HELPDESK_USER).slash("/enroll", text, channel=HELPDESK_CHANNEL)
    return emu.wait_until(lambda: emu.ephemerals(user=HELPDESK_USER)[seen:])[-1]


def click(emu: SlackEmulator, answer: Ephemeral, action_id: str, expect: str) -> Ephemeral:
    """Click a pager button; the same ephemeral message is replaced with the page asked for."""
    emu.person(HELPDESK_USER).click(answer, action_id)

    def replaced() -> Ephemeral | None:
        [current] = [e for e in emu.ephemerals(user=HELPDESK_USER) if e.id == answer.id]
        return current if expect in current.all_text() else None

    return emu.wait_until(replaced, message=expect)


def people_shown(answer: Ephemeral) -> list[str]:
    return [line.split("*")[1] for line in answer.all_text().splitlines() if line.startswith("*Person ")]


def invitations_shown(answer: Ephemeral) -> list[str]:
    return [line.split(" · ")[1] for line in answer.all_text().splitlines() if ":envelope:" in line]


def test_people_and_invitations_page_on_their_own(deskops: RunningApp, slack_emulator: SlackEmulator) -> None:
    seed(deskops, PEOPLE, each=2)
    first = status(slack_emulator)
    text = first.all_text()
    assert "Showing 1 to 10 of 15 people" in text and "Showing 1 to 12 of 30 invitations" in text
    assert people_shown(first) == [f"Person {n:02d}" for n in range(15, 5, -1)]
    assert "backup" not in text and "Older invitations are not shown" not in text
    assert {b.action_id for b in first.buttons()} >= {
        "enroll.status.page.people.next",
        "enroll.status.page.invitations.next",
    }
    assert not any(b.action_id.endswith(".previous") for b in first.buttons())

    people_2 = click(slack_emulator, first, "enroll.status.page.people.next", "Showing 11 to 15 of 15 people")
    assert people_shown(people_2) == [f"Person {n:02d}" for n in range(5, 0, -1)]
    assert "Showing 1 to 12 of 30 invitations" in people_2.all_text()
    assert "enroll.status.page.people.next" not in {b.action_id for b in people_2.buttons()}

    invitations_2 = click(
        slack_emulator, people_2, "enroll.status.page.invitations.next", "Showing 13 to 24 of 30 invitations"
    )
    assert "Showing 11 to 15 of 15 people" in invitations_2.all_text()
    invitations_3 = click(
        slack_emulator,
        invitations_2,
        "enroll.status.page.invitations.next",
        "Showing 25 to 30 of 30 invitations",
    )
    # The oldest invitations, the first round's Person 01 to 06, are on the last page.
    assert invitations_shown(invitations_3) == [f"person{n:02d}@example.com" for n in range(6, 0, -1)]
    back = click(
        slack_emulator,
        invitations_3,
        "enroll.status.page.invitations.previous",
        "Showing 13 to 24 of 30 invitations",
    )
    back = click(slack_emulator, back, "enroll.status.page.people.previous", "Showing 1 to 10 of 15 people")
    assert people_shown(back)[0] == "Person 15"
    # Paging replaced the one answer: no new messages were posted for it.
    assert (
        len([e for e in slack_emulator.ephemerals(user=HELPDESK_USER) if "Enrollment status" in e.all_text()])
        == 1
    )
    assert slack_emulator.problems == []


def test_one_persons_invitations_page_too(deskops: RunningApp, slack_emulator: SlackEmulator) -> None:
    seed(deskops, 1, each=14)
    first = status(slack_emulator, "status person01@example.com")
    assert "Showing 1 to 12 of 14 invitations" in first.all_text() and len(invitations_shown(first)) == 12
    last = click(
        slack_emulator, first, "enroll.status.page.invitations.next", "Showing 13 to 14 of 14 invitations"
    )
    assert "Enrollment status: person01@example.com" in last.all_text() and len(invitations_shown(last)) == 2
    assert "enroll.status.page.invitations.next" not in {b.action_id for b in last.buttons()}
    assert slack_emulator.problems == []
