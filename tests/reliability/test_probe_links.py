"""External probe, single-use links under concurrency: of simultaneous uses of one activation link
or one invitation link exactly one succeeds; the others are told the link was already used. The
probe had five simultaneous activations with different passwords all succeed (the last write won)
and any number of devices enroll with one invitation link. Decided by the database (a conditional
UPDATE), on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from bot.accounts.models import ActivationToken
from bot.enrollment.models import Device
from console import SlackEmulator
from tests.e2e.backup_flows import activation_link, add_user_with_backup, read_eml
from tests.e2e.enroll_flows import invite_person, landing_links
from tests.reliability.concurrency import at_once
from tests.reliability.helpers import audit_actions, count_rows
from tests.support.app import ENROLLMENT_API_KEY, RunningApp
from tests.support.reliability import Figures
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER

TRIES = 5
PASSWORDS = [f"Correct-Horse-{n}-Battery-Staple" for n in range(TRIES)]


def test_an_activation_link_used_five_times_at_once_activates_once(
    helpdesk_app: RunningApp, slack_emulator: SlackEmulator, figures: Figures
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Globex", email="john.doe@example.com")
    helen.slash("/backup", "activate john.doe@example.com", channel=HELPDESK_CHANNEL)
    helpdesk_app.wait_for_outbox()
    [mail] = [read_eml(p) for p in helpdesk_app.eml_files()]
    link = activation_link(mail)

    def use(password: str) -> httpx.Response:
        form = {"password": password, "confirmation": password}
        return httpx.post(link, data=form, trust_env=False, timeout=30)

    answers = at_once([lambda p=p: use(p) for p in PASSWORDS])  # type: ignore[misc]
    statuses = sorted(a.status_code for a in answers)
    figures.add("requests sent to the app", TRIES)
    figures.add("single-use links raced", TRIES)
    assert statuses == [200] + [410] * (TRIES - 1), statuses
    assert all("already used" in a.text for a in answers if a.status_code == 410)
    assert audit_actions(helpdesk_app.deps.db, "user.activated") == ["user.activated"]
    assert count_rows(helpdesk_app.deps.db, ActivationToken, ActivationToken.used_at.is_not(None)) == 1
    # The password that won is the one that works: the winner's, not the last writer's.
    winner = PASSWORDS[[a.status_code for a in answers].index(200)]
    from bot.accounts.activation import verify_password
    from bot.accounts.models import BackupUser

    with helpdesk_app.deps.db.read() as session:
        user = session.scalars(select(BackupUser)).one()
        assert verify_password(user, winner)
        assert not any(verify_password(user, p) for p in PASSWORDS if p != winner)
    again = httpx.get(link, trust_env=False, timeout=10)
    assert again.status_code == 410 and "already used" in again.text


def enroll(app: RunningApp, token: str, device_id: str) -> httpx.Response:
    return httpx.post(
        f"{app.url}/api/enrollments",
        json={"token": token, "platform": "ios", "device_id": device_id},
        headers={"Authorization": f"Bearer {ENROLLMENT_API_KEY}"},
        trust_env=False,
        timeout=30,
    )


def test_an_invitation_link_enrolls_one_device_however_many_try_at_once(
    helpdesk_app: RunningApp, slack_emulator: SlackEmulator, figures: Figures
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    invite_person(helen, "Jo", "John Doe")
    invite_person(helen, "Jo", "Mary Johnson")
    helpdesk_app.wait_for_outbox()
    first, second = (landing_links(read_eml(p))[0].rsplit("/", 1)[1] for p in helpdesk_app.eml_files())

    different = at_once([lambda n=n: enroll(helpdesk_app, first, f"iphone-{n}") for n in range(TRIES)])  # type: ignore[misc]
    assert sorted(a.status_code for a in different) == [201] + [410] * (TRIES - 1)
    assert all("already used" in a.json()["error"] for a in different if a.status_code == 410)
    assert count_rows(helpdesk_app.deps.db, Device) == 1

    # The same device reported five times at once (a retrying callback): one device, no error.
    same = at_once([lambda: enroll(helpdesk_app, second, "pixel-1")] * TRIES)
    assert sorted(a.status_code for a in same) == [200] * (TRIES - 1) + [201]
    assert count_rows(helpdesk_app.deps.db, Device) == 2
    assert audit_actions(helpdesk_app.deps.db, "device.enrolled") == ["device.enrolled"] * 2
    figures.add("requests sent to the app", 2 * TRIES)
    figures.add("single-use links raced", 2 * TRIES)
