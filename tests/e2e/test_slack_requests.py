"""How the bot takes requests from Slack: signatures, retries, who may act, concurrency, health."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from bot.accounts.models import BackupUser
from bot.request_keys import RequestKey
from console import SlackEmulator
from tests.e2e.backup_flows import add_user_with_backup, fill_user, open_add_user
from tests.support.app import RunningApp
from tests.support.slack import APPROVER, HELPDESK_CHANNEL, HELPDESK_USER


def count(deskops: RunningApp, model: type) -> int:
    with deskops.deps.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_bad_or_stale_signature_gets_401_and_changes_nothing(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_add_user(helen, "Globex")
    fill_user(view)
    settings = view.submit().view
    assert settings is not None
    calls_before = len(slack_emulator.calls())
    keys_before = count(deskops, RequestKey)
    # Build the final submission without sending it, then send it forged and stale.
    good = slack_emulator.driver.submit(HELPDESK_USER, settings.id, force=True)  # type: ignore[union-attr]
    request = good.delivery.request  # type: ignore[union-attr]
    deskops.wait_for_outbox()
    with deskops.deps.db.transaction() as session:
        session.execute(BackupUser.__table__.delete())
    forged = slack_emulator.send_raw(request, signature="v0=" + "0" * 64)
    stale = slack_emulator.send_raw(request, timestamp=int(time.time()) - 6 * 60)
    assert (forged.status, stale.status) == (401, 401)
    assert count(deskops, BackupUser) == 0
    assert count(deskops, RequestKey) == keys_before + 1  # only the genuine one
    assert all(call.method != "views.open" for call in slack_emulator.calls()[calls_before:])


# deskops' own activation e-mail (.eml); on Acronis the platform sends it.
@pytest.mark.backup_provider("local")
def test_a_retried_request_acts_once(deskops: RunningApp, slack_emulator: SlackEmulator) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Globex")
    deskops.wait_for_outbox()
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    click = helen.click(card, "backup.user.activate")
    retry = slack_emulator.send_raw(click.request, retry_num=1, retry_reason="http_timeout")
    again = slack_emulator.send_raw(click.request, retry_num=2, retry_reason="http_timeout")
    assert (retry.status, again.status) == (200, 200)
    command = helen.slash("/backup", "users globex", channel=HELPDESK_CHANNEL)
    slack_emulator.send_raw(command.request, retry_num=1)
    deskops.wait_for_outbox()
    assert len(deskops.eml_files()) == 1
    listings = [e for e in slack_emulator.ephemerals(user=HELPDESK_USER) if "backup users" in e.all_text()]
    assert len(listings) == 1
    assert count(deskops, BackupUser) == 1


def test_someone_outside_the_helpdesk_is_refused(deskops: RunningApp, slack_emulator: SlackEmulator) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Globex")
    deskops.wait_for_outbox()
    outsider = slack_emulator.person(APPROVER)  # in the workspace, not in the helpdesk user group
    outcome = outsider.slash("/backup", "add", channel=HELPDESK_CHANNEL)
    assert outcome.ephemeral is not None and "only helpdesk staff" in outcome.ephemeral.all_text()
    assert slack_emulator.modal_stack(APPROVER) == []
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    outsider.click(card, "backup.user.activate")
    deskops.wait_for_outbox()
    refusal = slack_emulator.ephemerals(user=APPROVER)
    assert refusal and "only helpdesk staff" in refusal[-1].all_text()
    assert deskops.eml_files() == []


def test_fifty_simultaneous_commands_are_all_acked_in_time(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    people = [f"U0LOAD{index:03d}" for index in range(50)]
    for user_id in people:
        slack_emulator.add_user(user_id, name=user_id.lower())
    slack_emulator.add_usergroup("S0HELPDK", handle="helpdesk", users=[HELPDESK_USER, *people])
    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(
            pool.map(
                lambda user_id: slack_emulator.person(user_id).slash(
                    "/backup", "add Acme", channel=HELPDESK_CHANNEL
                ),
                people,
            )
        )
    assert all(outcome.status == 200 for outcome in outcomes)
    # The emulator records any ack slower than 3 s as a problem; every modal opened in time.
    assert max(outcome.elapsed_ms for outcome in outcomes) < 3000
    for user_id in people:
        slack_emulator.person(user_id).wait_for_view(callback_id="backup.add_user")


def test_health_readiness_and_metrics(deskops: RunningApp, slack_emulator: SlackEmulator) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Globex")
    deskops.wait_for_outbox()
    with deskops.http() as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        assert http.get("/readyz").json() == {"status": "ready", "database": "ok"}
        metrics = http.get("/metrics").text
    assert 'deskops_slack_requests_total{kind="command"}' in metrics
    assert 'deskops_slack_requests_total{kind="view_submission"}' in metrics
    assert "deskops_slack_ack_seconds_count" in metrics and "deskops_slack_handler_seconds_count" in metrics
    assert "deskops_outbox_depth 0.0" in metrics
    assert 'deskops_outbox_deliveries_total{kind="accounts.user_card",outcome="delivered"} 1.0' in metrics
