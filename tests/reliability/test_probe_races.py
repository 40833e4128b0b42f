"""External probe, unique-key races: the same request sent several times at once ends in one
effect and a clear answer, never a 500 or "Something went wrong". The probe had ten concurrent
callbacks for one device beyond the licence answered 6 x 202 and 4 x 500 (IntegrityError on
uq_approval_requests_request_key), and five concurrent submissions of one Administrator form make
one approval request but answer three of them "Something went wrong". On SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from bot.approvals.models import ApprovalRequest
from bot.enrollment.drafts import add_invitees, start_draft
from bot.enrollment.models import DraftInvitee, InviteDraft
from bot.integrations.directory.port import DirectoryUser
from console import SlackEmulator
from tests.e2e.backup_flows import fill_user, open_add_user, read_eml
from tests.e2e.enroll_flows import invite_person, landing_links
from tests.reliability.concurrency import at_once
from tests.reliability.helpers import count_rows, send, submission
from tests.support.app import ENROLLMENT_API_KEY, RunningApp
from tests.support.channels import ChannelsApp
from tests.support.reliability import Figures
from tests.support.slack import HELPDESK_USER

WRONG = "Something went wrong"


def approval_requests(app: ChannelsApp) -> int:
    with app.app.deps.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(ApprovalRequest)) or 0)


def test_ten_callbacks_for_one_device_beyond_the_licence_make_one_request(
    approvals_app: ChannelsApp, slack_emulator: SlackEmulator, figures: Figures
) -> None:
    app = approvals_app.app
    helen = slack_emulator.person(HELPDESK_USER)
    for _ in range(4):
        invite_person(helen, "Jo", "John Doe")
        app.wait_for_outbox()
    tokens = [landing_links(read_eml(p))[0].rsplit("/", 1)[1] for p in app.eml_files()]

    def enroll(token: str, device_id: str) -> httpx.Response:
        return httpx.post(
            f"{app.url}/api/enrollments",
            json={"token": token, "platform": "ios", "device_id": device_id},
            headers={"Authorization": f"Bearer {ENROLLMENT_API_KEY}"},
            trust_env=False,
            timeout=30,
        )

    assert [enroll(tokens[n], f"ipad-{n}").status_code for n in range(3)] == [201] * 3
    answers = at_once([lambda: enroll(tokens[3], "ipad-4")] * 10)
    figures.add("requests sent to the app", 13)
    figures.add("unique-key races sent", 10)
    assert [a.status_code for a in answers] == [202] * 10, [a.text[:200] for a in answers]
    assert len({a.json()["approval_request"] for a in answers}) == 1
    assert approval_requests(approvals_app) == 1


def test_five_submissions_of_one_administrator_form_at_once_make_one_request(
    approvals_app: ChannelsApp, slack_emulator: SlackEmulator, figures: Figures
) -> None:
    app = approvals_app.app
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_add_user(helen, "Acme")
    fill_user(view, "Ada", "Admin", "ada@acme.example")
    view.choose("role", "administrator")
    view.wait_for_update()
    view.fill("address", "Keizersgracht 1, Amsterdam")
    view.fill("phone", "+31 20 123 4567")
    view.tick("services", [])
    view.wait_for_update()
    bodies = [submission(slack_emulator, HELPDESK_USER, view.view) for _ in range(5)]
    answers = at_once([lambda b=b: send(slack_emulator, "interactivity", b) for b in bodies])  # type: ignore[misc]
    app.wait_for_outbox()
    figures.add("unique-key races sent", 5)
    assert [a.status for a in answers] == [200] * 5
    assert all("errors" not in a.text for a in answers), [a.text for a in answers]
    told = [e.all_text() for e in slack_emulator.ephemerals(user=HELPDESK_USER)]
    told += [m.all_text() for m in slack_emulator.dm_channel(HELPDESK_USER).messages()]
    assert not [t for t in told if WRONG in t], told
    assert approval_requests(approvals_app) == 1


def test_five_adds_of_the_same_people_at_once_list_each_person_once(
    helpdesk_app: RunningApp, figures: Figures
) -> None:
    """Add clicked five times at once (a group's members, page by page): each person is on the
    draft once, and each Add is answered, none with an IntegrityError on (draft_id, merge_key)."""
    deps = helpdesk_app.deps
    with deps.db.transaction() as session:
        draft_id = start_draft(session, owner=HELPDESK_USER, channel_id=None, now=deps.clock.now()).id
    people = [
        DirectoryUser(
            id=f"u{n}",
            account_name=f"p{n}",
            display_name=f"Person {n}",
            first_name=None,
            last_name=None,
            email=f"person.{n}@example.com",
        )
        for n in range(300)
    ]

    def add() -> int:
        with deps.db.transaction() as session:
            draft = session.get(InviteDraft, draft_id)
            assert draft is not None
            return add_invitees(session, draft, people, source="group", now=deps.clock.now()).added

    added = at_once([add] * 5)
    figures.add("unique-key races sent", 5)
    assert sum(added) == len(people), added
    assert count_rows(deps.db, DraftInvitee, DraftInvitee.draft_id == draft_id) == len(people)
