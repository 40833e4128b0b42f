"""Approvals end to end over signed HTTP: an Administrator waits for an approver's Approve, a
Reject asks for a reason, nobody approves their own request, only APPROVERS decide, two approvers
clicking at once create the user once, unanswered requests re-notify and expire, the requester
can cancel."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.accounts.models import BackupUser
from console import Message, SlackEmulator
from tests.support.channels import (
    OUTSIDER,
    SUMMARY,
    ChannelsApp,
    ask_for_administrator,
    channels_app,
    run_job,
)
from tests.support.slack import (
    APPROVALS_CHANNEL,
    APPROVER,
    HELPDESK_CHANNEL,
    HELPDESK_USER,
    OTHER_HELPDESK_USER,
)

APPROVE = "approvals.approve"
REJECT = "approvals.reject"
CANCEL = "approvals.cancel"


@pytest.fixture
def app(slack_emulator: SlackEmulator, database_url: str, tmp_path: Path) -> Iterator[ChannelsApp]:
    with channels_app(slack_emulator, database_url, tmp_path) as running:
        yield running


def request_message(emu: SlackEmulator) -> Message:
    return emu.channel(APPROVALS_CHANNEL).last_message()


def thread_replies(emu: SlackEmulator, parent: Message) -> list[Message]:
    return [
        m for m in emu.channel(APPROVALS_CHANNEL).messages() if m.thread_ts == parent.ts and m.ts != parent.ts
    ]


def users(app: ChannelsApp) -> list[tuple[str, str, str]]:
    """(e-mail, role, created by) of every backup user."""
    with app.app.deps.db.read() as session:
        rows = session.execute(select(BackupUser.email, BackupUser.role, BackupUser.created_by)).all()
        return [(email, role.value, by) for email, role, by in rows]


def ephemeral_texts(emu: SlackEmulator, user: str) -> str:
    return "\n".join(e.text for e in emu.ephemerals(user=user))


def test_an_administrator_waits_for_an_approver_and_is_created_once_approved(
    app: ChannelsApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    result = ask_for_administrator(helen, with_backup=True)
    # The modal says what happened instead of closing; Done closes the whole stack.
    assert result.view is not None and "Sent for approval" in result.view.all_text()
    assert SUMMARY in result.view.all_text()
    result.view.close()
    assert helen.modal is None
    app.app.wait_for_outbox()
    assert users(app) == []
    request = request_message(slack_emulator)
    text = request.all_text()
    assert SUMMARY in text and f"<@{HELPDESK_USER}>" in text and "Acme Corporation" in text
    assert "+31201234567" in text and "Keizersgracht 1, Amsterdam" in text and "Capped Storage" in text
    assert [b.action_id for b in request.buttons()] == [APPROVE, REJECT]
    dm = slack_emulator.dm_channel(HELPDESK_USER).last_message()
    assert "Waiting for approval" in dm.all_text() and [b.action_id for b in dm.buttons()] == [CANCEL]
    assert slack_emulator.channel(HELPDESK_CHANNEL).messages() == []

    slack_emulator.person(APPROVER).click(request, APPROVE)
    app.app.wait_for_outbox()

    assert users(app) == [("ada@acme.example", "administrator", HELPDESK_USER)]
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    assert "Backup user created: Ada Admin" in card.all_text() and "Capped Storage" in card.all_text()
    decided = request_message(slack_emulator)
    assert decided.ts == request.ts and decided.buttons() == []
    assert f"Approved* by <@{APPROVER}>" in decided.all_text()
    [reply] = thread_replies(slack_emulator, request)
    assert reply.text.startswith(f"<@{HELPDESK_USER}>") and "Approved" in reply.text
    dm = slack_emulator.dm_channel(HELPDESK_USER).last_message()
    assert "Approved* by" in dm.all_text() and dm.buttons() == []
    assert "You approved" in ephemeral_texts(slack_emulator, APPROVER)


def test_reject_asks_for_a_reason_and_tells_the_requester_in_the_thread(
    app: ChannelsApp, slack_emulator: SlackEmulator
) -> None:
    ask_for_administrator(slack_emulator.person(HELPDESK_USER))
    app.app.wait_for_outbox()
    request = request_message(slack_emulator)
    anna = slack_emulator.person(APPROVER)
    anna.click(request, REJECT)
    modal = anna.wait_for_view(callback_id="approvals.reject")
    assert SUMMARY in modal.all_text()
    refused = modal.submit()
    assert refused.client_errors and "reason" in refused.client_errors
    modal.fill("reason", "Ask the customer's IT lead first; a User account is enough for now.")
    assert modal.submit().closed
    app.app.wait_for_outbox()

    assert users(app) == []
    decided = request_message(slack_emulator)
    assert f"Rejected* by <@{APPROVER}>" in decided.all_text() and "IT lead first" in decided.all_text()
    assert decided.buttons() == []
    [reply] = thread_replies(slack_emulator, request)
    assert reply.text.startswith(f"<@{HELPDESK_USER}>") and "IT lead first" in reply.text
    assert "Rejected" in slack_emulator.dm_channel(HELPDESK_USER).last_message().all_text()


def test_nobody_approves_their_own_request_and_only_approvers_decide(
    app: ChannelsApp, slack_emulator: SlackEmulator
) -> None:
    # Harry is an approver and a helpdesk person: he may ask, but another approver must decide.
    harry = slack_emulator.person(OTHER_HELPDESK_USER)
    ask_for_administrator(harry)
    app.app.wait_for_outbox()
    request = request_message(slack_emulator)

    harry.click(request, APPROVE)
    slack_emulator.person(HELPDESK_USER).click(request, APPROVE)
    slack_emulator.person(HELPDESK_USER).click(request, REJECT)
    slack_emulator.person(OUTSIDER).click(request, APPROVE)
    app.app.wait_for_outbox()

    assert "another approver has to decide" in ephemeral_texts(slack_emulator, OTHER_HELPDESK_USER)
    assert "only approvers can decide" in ephemeral_texts(slack_emulator, HELPDESK_USER)
    assert "only approvers can decide" in ephemeral_texts(slack_emulator, OUTSIDER)
    assert slack_emulator.person(HELPDESK_USER).modal is None
    assert users(app) == []
    assert [b.action_id for b in request_message(slack_emulator).buttons()] == [APPROVE, REJECT]

    slack_emulator.person(APPROVER).click(request, APPROVE)
    app.app.wait_for_outbox()
    assert users(app) == [("ada@acme.example", "administrator", OTHER_HELPDESK_USER)]


def test_two_approvers_clicking_at_once_and_a_slack_retry_create_the_user_once(
    app: ChannelsApp, slack_emulator: SlackEmulator
) -> None:
    ask_for_administrator(slack_emulator.person(HELPDESK_USER))
    app.app.wait_for_outbox()
    request = request_message(slack_emulator)
    start = threading.Barrier(2)
    outcomes = {}

    def click(user: str) -> None:
        start.wait()
        outcomes[user] = slack_emulator.person(user).click(request, APPROVE)

    clickers = [threading.Thread(target=click, args=(user,)) for user in (APPROVER, OTHER_HELPDESK_USER)]
    for thread in clickers:
        thread.start()
    for thread in clickers:
        thread.join()
    # Slack retries Anna's click as if the first delivery had timed out.
    slack_emulator.send_raw(outcomes[APPROVER].request, retry_num=1, retry_reason="http_timeout")
    app.app.wait_for_outbox()

    assert len(users(app)) == 1
    cards = [m for m in slack_emulator.channel(HELPDESK_CHANNEL).messages() if "Ada Admin" in m.all_text()]
    assert len(cards) == 1
    assert len(thread_replies(slack_emulator, request)) == 1
    answers = (
        ephemeral_texts(slack_emulator, APPROVER)
        + "\n"
        + ephemeral_texts(slack_emulator, OTHER_HELPDESK_USER)
    )
    assert answers.count("You approved") == 1
    assert answers.count("already approved") == 1


def test_an_unanswered_request_reminds_the_approvers_with_backoff_then_expires(
    app: ChannelsApp, slack_emulator: SlackEmulator
) -> None:
    ask_for_administrator(slack_emulator.person(HELPDESK_USER))
    app.app.wait_for_outbox()
    request = request_message(slack_emulator)
    approvers = f"<@{APPROVER}> <@{OTHER_HELPDESK_USER}>"

    run_job(app, "approvals")
    assert thread_replies(slack_emulator, request) == []
    app.clock.advance(timedelta(hours=1, minutes=1))
    run_job(app, "approvals")
    run_job(app, "approvals")  # the same moment again: no second nudge
    [first] = thread_replies(slack_emulator, request)
    assert first.text.startswith(approvers) and "Still waiting" in first.text
    app.clock.advance(timedelta(hours=1))
    run_job(app, "approvals")
    assert len(thread_replies(slack_emulator, request)) == 1  # the next one is due at 3 hours
    app.clock.advance(timedelta(hours=1))
    run_job(app, "approvals")
    assert len(thread_replies(slack_emulator, request)) == 2

    app.clock.advance(timedelta(hours=46))  # 49 hours after asking; requests last 48
    run_job(app, "approvals")
    expired = request_message(slack_emulator)
    assert "Expired" in expired.all_text() and expired.buttons() == []
    last = thread_replies(slack_emulator, request)[-1]
    assert last.text.startswith(f"<@{HELPDESK_USER}>") and "Expired" in last.text
    assert "Expired" in slack_emulator.dm_channel(HELPDESK_USER).last_message().all_text()
    assert users(app) == []


def test_the_requester_cancels_from_their_message_while_it_is_pending(
    app: ChannelsApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    ask_for_administrator(helen)
    app.app.wait_for_outbox()
    request = request_message(slack_emulator)
    dm = slack_emulator.dm_channel(HELPDESK_USER).last_message()

    helen.click(dm, CANCEL)
    app.app.wait_for_outbox()

    assert "Cancelled your request" in ephemeral_texts(slack_emulator, HELPDESK_USER)
    cancelled = request_message(slack_emulator)
    assert "Cancelled* by the requester" in cancelled.all_text() and cancelled.buttons() == []
    dm = slack_emulator.dm_channel(HELPDESK_USER).last_message()
    assert "Cancelled" in dm.all_text() and dm.buttons() == []
    [reply] = thread_replies(slack_emulator, request)
    assert reply.text.startswith(f"<@{HELPDESK_USER}>") and "Cancelled" in reply.text
    assert users(app) == []
